package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bmatcuk/doublestar/v4"
)

// maxInputLen bounds every input. Nothing legitimate comes close, and a
// runaway value (a whole file pasted into a YAML field) should fail here, not
// in the API.
const maxInputLen = 4096

// maxSizeLimit: the vendor's own limit is about 20 MB; a larger size-limit is
// almost certainly a unit mistake.
const maxSizeLimit = 1 << 30

// functionNamePattern is Tencent SCF's rule (API-NOTES.md "Limits").
var functionNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,58}[A-Za-z0-9]$`)

const functionNameRule = "(2-60 characters: letters, digits, '-' and '_', starting with a letter and ending with a letter or digit)"

// builder accumulates a Config and every problem found on the way.
type builder struct {
	cfg   *Config
	input string // the input being applied, for apply funcs
	errs  Errors
	bad   map[string]bool // inputs already reported: skip checks that build on them
	set   map[string]bool // inputs given a non-empty value
}

func (b *builder) add(e *InputError) {
	b.errs = append(b.errs, e)
	b.bad[e.Input] = true
}

func (b *builder) fail(input, value, msg string) {
	b.add(&InputError{Input: input, Value: value, Msg: msg})
}

// build validates raw values (empty = not given) for command.
func build(command string, raw map[string]string, action bool, workspace string) (*Config, error) {
	if !validCommand(command, action) {
		msg := "is not a command (use one of " + commandList(action) + ")"
		if action && command == "emulate" {
			msg = "is CLI-only (run wxcloud-deploy emulate in a step of its own and point api-base-url at it)"
		}
		return nil, &InputError{Input: "command", Value: command, Msg: msg}
	}
	cfg := &Config{Command: command, ActionMode: action}
	b := &builder{cfg: cfg, bad: map[string]bool{}, set: map[string]bool{}}
	var secretValues []string

	for _, d := range inputDefs() {
		if d.apply == nil || (action && d.cliOnly) {
			continue
		}
		v := raw[d.name]
		if d.secret && v != "" {
			secretValues = append(secretValues, secretParts(v)...)
		}
		if v != "" {
			b.set[d.name] = true
			if msg := malformed(d, v); msg != "" {
				shown := v
				if d.secret {
					shown = ""
				}
				b.fail(d.name, shown, msg)
				v = ""
			}
		}
		if v == "" {
			v = d.def
		}
		b.input = d.name
		d.apply(b, v)
	}

	b.checkWorkspace(workspace)
	b.checkTarget()
	b.checkEnvs()
	b.checkCredentials()
	if b.cfg.SubnetID != "" && b.cfg.VPCID == "" && !b.bad["vpc-id"] {
		b.fail("vpc-id", "", "is required when subnet-id is set (the subnet belongs to a VPC)")
	}
	b.checkAPIBaseURL()
	b.checkOutput()
	b.checkCLIOnly()
	b.warn()

	if len(b.errs) == 0 {
		return cfg, nil
	}
	// Belt and braces: a secret pasted into the wrong input (a token as
	// function-name) must not be echoed either.
	for _, e := range b.errs {
		for _, s := range secretValues {
			if len(s) < 4 {
				continue // redacting "a" everywhere would garble the message
			}
			e.Value = strings.ReplaceAll(e.Value, s, "***")
			e.Msg = strings.ReplaceAll(e.Msg, s, "***")
		}
	}
	return nil, b.errs.err()
}

// secretParts is what to redact for one secret value: the value and, when
// it is malformed (a stray newline or NUL), each long piece of it, since the
// user may have pasted the intended part elsewhere too.
func secretParts(v string) []string {
	out := []string{v}
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f || r == utf8.RuneError }) {
		if len(p) >= 8 && p != v {
			out = append(out, p)
		}
	}
	return out
}

// malformed reports what every input must satisfy, whatever its type.
func malformed(d inputDef, v string) string {
	switch {
	case len(v) > maxInputLen:
		return fmt.Sprintf("is too long (%d bytes; at most %d)", len(v), maxInputLen)
	case !utf8.ValidString(v):
		return "is not valid UTF-8 (check the file's encoding)"
	case strings.ContainsRune(v, 0):
		return "contains a NUL byte (remove it)"
	case !d.multiline && strings.ContainsAny(v, "\r\n"):
		return "must be one line (remove the line break; in YAML use a plain scalar, not |)"
	}
	return ""
}

func applyFunctionName(b *builder, v string) {
	if v != "" && !functionNamePattern.MatchString(v) {
		b.fail("function-name", v, "is not a valid function name "+functionNameRule)
		return
	}
	b.cfg.FunctionName = v
}

func applyPath(b *builder, v string) {
	b.cfg.Path = filepath.Clean(v)
}

func applyFiles(b *builder, v string) {
	for _, line := range strings.Split(v, "\n") {
		p := strings.TrimPrefix(strings.TrimSpace(line), "!")
		if p != "" && !doublestar.ValidatePattern(p) {
			b.fail("files", line, "is not a valid glob (check brackets and braces; escape literal ones with \\)")
		}
	}
	b.cfg.Files = v
}

func applyFunctions(b *builder, v string) {
	var globs []string
	for _, line := range strings.Split(v, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		p := strings.TrimPrefix(line, "!")
		if !doublestar.ValidatePattern(p) {
			b.fail("functions", line, "is not a valid glob (check brackets and braces; escape literal ones with \\)")
			continue
		}
		globs = append(globs, line)
	}
	b.cfg.Functions = globs
}

func applyEnvs(b *builder, v string) {
	envs, err := ParseEnvs(v)
	if err != nil {
		b.addErr(err)
		return
	}
	b.cfg.Envs = envs
}

// addErr adds an *InputError or every one of an Errors.
func (b *builder) addErr(err error) {
	switch e := err.(type) {
	case *InputError:
		b.add(e)
	case Errors:
		for _, ie := range e {
			b.add(ie)
		}
	}
}

func applyMode(b *builder, v string) {
	switch v {
	case "auto", "create", "update":
		b.cfg.Mode = v
	default:
		b.fail("mode", v, "is not a mode (use auto, create or update)")
	}
}

func applyComment(b *builder, v string) {
	switch v {
	case "auto", "always", "never":
		b.cfg.Comment = v
	default:
		b.fail("comment", v, "is not a comment setting (use auto, always or never)")
	}
}

func applySizeLimit(b *builder, v string) {
	n, err := ParseSize(v)
	if err != nil {
		b.addErr(err)
		return
	}
	if n > maxSizeLimit {
		b.fail("size-limit", v, "is larger than 1GiB (the API takes about 20 MB; check the unit)")
		return
	}
	b.cfg.SizeLimit = n
}

func applyInvokeData(b *builder, v string) {
	if !json.Valid([]byte(v)) {
		b.fail("invoke-data", v, `is not valid JSON (give a JSON object such as {"name":"ci"})`)
		return
	}
	if !strings.HasPrefix(v, "{") {
		// The function receives it as its event, which the API wants as an object.
		b.fail("invoke-data", v, `is not a JSON object (the function's event must be one: wrap it, e.g. {"value":1})`)
		return
	}
	b.cfg.InvokeData = json.RawMessage(v)
}

func applyInvokeExpect(b *builder, v string) {
	if v == "" {
		return
	}
	if len(v) >= 2 && strings.HasPrefix(v, "/") && strings.HasSuffix(v, "/") {
		expr := v[1 : len(v)-1]
		if expr == "" {
			b.fail("invoke-expect", v, "is an empty regexp (it would match anything: give a pattern such as /ok/)")
			return
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			b.fail("invoke-expect", v, "is not a valid regexp (RE2 syntax; use (?i) for case-insensitive): "+reErrMsg(err))
			return
		}
		b.cfg.InvokeExpect = v
		b.cfg.InvokeExpectRegexp = re
		return
	}
	if !json.Valid([]byte(v)) {
		b.fail("invoke-expect", v, `is neither JSON nor /regexp/ (quote a string as JSON, "\"ok\"", or write a regexp, /ok/)`)
		return
	}
	b.cfg.InvokeExpect = v
}

// reErrMsg keeps the regexp error's reason without repeating the (possibly
// long) expression it quotes.
func reErrMsg(err error) string {
	var se *syntax.Error
	if errors.As(err, &se) {
		return string(se.Code)
	}
	return "syntax error"
}

func applyConcurrency(b *builder, v string) {
	n, err := parseRange("concurrency", v, 1, 64)
	if err != nil {
		b.addErr(err)
		return
	}
	b.cfg.Concurrency = n
}

func applyRetries(b *builder, v string) {
	n, err := parseRange("retries", v, 0, 10)
	if err != nil {
		b.addErr(err)
		return
	}
	b.cfg.Retries = n
}

func applyTimeout(b *builder, v string) {
	d, err := parseTimeout(v)
	if err != nil {
		b.addErr(err)
		return
	}
	b.cfg.Timeout = d
}

func applyEntry(b *builder, v string) {
	if v != "-" {
		clean := path.Clean(v)
		if strings.Contains(v, `\`) || path.IsAbs(v) || clean != v || clean == ".." || strings.HasPrefix(clean, "../") {
			b.fail("entry", v, `is not a clean relative path inside the zip (e.g. index.js or src/main.js; "-" disables the check)`)
			return
		}
	}
	b.cfg.Entry = v
}

func applyListen(b *builder, v string) {
	_, port, err := net.SplitHostPort(v)
	if err == nil {
		var n int
		n, err = strconv.Atoi(port)
		if err == nil && (n < 0 || n > 65535) {
			err = fmt.Errorf("port out of range")
		}
	}
	if err != nil {
		b.fail("listen", v, "is not a host:port address (e.g. 127.0.0.1:8080, or 127.0.0.1:0 for any free port)")
		return
	}
	b.cfg.Listen = v
}

// checkWorkspace resolves the workspace, then path and output against it.
func (b *builder) checkWorkspace(workspace string) {
	c := b.cfg
	input := "workspace"
	if c.ActionMode {
		input = "GITHUB_WORKSPACE"
	}
	base := ""
	if workspace != "" {
		ws, err := resolveDir(workspace)
		if err != nil {
			b.fail(input, workspace, "is not a directory (set it to the repository checkout)")
			return
		}
		c.Workspace = ws
		base = ws
	} else {
		wd, err := os.Getwd()
		if err != nil {
			b.fail("path", "", fmt.Sprintf("cannot resolve: the working directory is unreadable (%v)", err))
			return
		}
		base = wd
	}

	if c.Output != "" {
		c.OutputAbs = absUnder(base, c.Output)
	}
	if c.Workspace != "" {
		for _, g := range c.Functions {
			p := strings.TrimPrefix(g, "!")
			if filepath.IsAbs(p) && !inside(c.Workspace, filepath.Clean(p)) || !filepath.IsAbs(p) && escapes(p) {
				b.fail("functions", g, "leaves the workspace "+quote(c.Workspace)+" (use globs inside the repository, e.g. cloudfunctions/*)")
			}
		}
	}
	if b.bad["path"] || c.Path == "" {
		return
	}
	abs := absUnder(base, c.Path)
	resolved, err := filepath.EvalSymlinks(abs)
	exists := err == nil
	if !exists {
		resolved = abs
	}
	c.PathAbs = resolved
	if c.Workspace != "" && !inside(c.Workspace, resolved) {
		b.fail("path", c.Path, "is outside the workspace "+quote(c.Workspace)+" (use a path inside the repository)")
		return
	}
	if (c.Command == "deploy" || c.Command == "pack") && c.FunctionName != "" {
		if !exists {
			b.fail("path", c.Path, "does not exist under "+quote(base)+" (set path to the function's directory)")
			return
		}
		if fi, err := os.Stat(resolved); err != nil || !fi.IsDir() {
			b.fail("path", c.Path, "is not a directory (set path to the function's directory)")
		}
	}
}

func resolveDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	r, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(r)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%q is not a directory", dir)
	}
	return r, nil
}

func absUnder(base, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(base, p)
}

func inside(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && !escapes(rel) && !filepath.IsAbs(rel)
}

func escapes(rel string) bool {
	rel = filepath.Clean(rel)
	return rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// checkTarget: which functions the command acts on.
func (b *builder) checkTarget() {
	c := b.cfg
	if b.bad["function-name"] || b.bad["functions"] {
		return
	}
	switch c.Command {
	case "deploy", "pack":
		if c.FunctionName != "" && len(c.Functions) > 0 {
			b.fail("functions", "", "cannot be combined with function-name (give one function-name, or directory globs in functions)")
			return
		}
		if c.FunctionName != "" || len(c.Functions) > 0 {
			return
		}
		dir := c.Workspace
		if dir == "" {
			wd, err := os.Getwd()
			if err != nil {
				b.fail("function-name", "", "is required for "+c.Command+" (or set functions)")
				return
			}
			dir = wd
		}
		root, found, err := ProjectFunctionRoot(dir)
		switch {
		case err != nil:
			b.fail("functions", "", "is not set and "+err.Error())
		case !found:
			b.fail("function-name", "", "is required for "+c.Command+
				" (or set functions to directory globs such as cloudfunctions/*, or run in a WeChat project whose project.config.json names cloudfunctionRoot)")
		default:
			c.CloudfunctionRoot = root
		}
	case "create", "invoke", "download":
		if len(c.Functions) > 0 {
			b.fail("functions", "", "is not supported by "+c.Command+" (give one function-name)")
			return
		}
		if c.FunctionName == "" {
			b.fail("function-name", "", "is required for "+c.Command+" "+functionNameRule)
		}
	}
}

func (b *builder) checkEnvs() {
	c := b.cfg
	if !isAPICommand(c.Command) || b.bad["envs"] {
		return
	}
	if len(c.Envs) == 0 {
		b.fail("envs", "", "is required for "+c.Command+" (comma- or newline-separated env IDs, e.g. prod-3gewtf9c10f60c76)")
	}
}

// checkCredentials: the API commands need some way to get a token. Messages
// name inputs, never their values.
func (b *builder) checkCredentials() {
	c := b.cfg
	if !isAPICommand(c.Command) || c.Emulator {
		return
	}
	reported := len(b.errs)
	pair := func(a, aName, s, sName string) {
		switch {
		case a != "" && s == "" && !b.bad[sName]:
			b.fail(sName, "", "is required when "+aName+" is set")
		case a == "" && s != "" && !b.bad[aName]:
			b.fail(aName, "", "is required when "+sName+" is set")
		}
	}
	pair(c.AppID, "appid", c.AppSecret, "app-secret")

	component := []struct{ v, name string }{
		{c.ComponentAppID, "component-appid"},
		{c.ComponentAppSecret, "component-appsecret"},
		{c.ComponentVerifyTicket, "component-verify-ticket"},
	}
	var given, missing []string
	for _, p := range component {
		if p.v != "" || b.bad[p.name] {
			given = append(given, p.name)
		} else {
			missing = append(missing, p.name)
		}
	}
	if len(given) > 0 && len(missing) > 0 {
		for _, m := range missing {
			b.fail(m, "", "is required when "+strings.Join(given, " and ")+" is set (the component token needs all three)")
		}
	}
	if len(b.errs) > reported {
		return
	}
	for _, n := range []string{"access-token", "component-access-token", "appid", "app-secret", "component-appid", "component-appsecret", "component-verify-ticket"} {
		if b.bad[n] {
			return // already said what is wrong with the credentials given
		}
	}
	if c.AccessToken == "" && c.ComponentAccessToken == "" && c.AppID == "" && c.ComponentAppID == "" {
		hint := "set access-token, component-access-token, appid + app-secret, or component-appid + component-appsecret + component-verify-ticket"
		if !c.ActionMode {
			hint += ", or use --emulator"
		}
		b.fail("access-token", "", "is required for "+c.Command+": no credentials given ("+hint+")")
		return
	}
	// createfunction and downloadfunction take the (authorizer) access token
	// only (API-NOTES, "Which token each call takes").
	if (c.Command == "create" || c.Command == "download") && c.AccessToken == "" && c.AppID == "" && !c.Emulator {
		b.fail("access-token", "", "is required for "+c.Command+": "+c.Command+"function takes an access_token or authorizer_access_token, not the component token (set access-token, or appid + app-secret)")
	}
}

func (b *builder) checkAPIBaseURL() {
	c := b.cfg
	if !isAPICommand(c.Command) || c.Emulator || b.bad["api-base-url"] {
		return
	}
	v := c.APIBaseURL
	u, err := url.Parse(v)
	switch {
	case err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "":
		b.fail("api-base-url", v, "is not an absolute URL (e.g. https://api.weixin.qq.com)")
	case u.User != nil:
		// The user-info part may be a password: do not repeat the value.
		b.fail("api-base-url", "", "must not contain user:password@ (credentials in the URL would be logged)")
	case u.Scheme != "https" && u.Scheme != "http":
		b.fail("api-base-url", v, "must use https")
	case u.RawQuery != "" || u.ForceQuery:
		b.fail("api-base-url", v, "must not have a query (the access_token is added as one)")
	case u.Fragment != "" || strings.Contains(v, "#"):
		b.fail("api-base-url", v, "must not have a fragment (remove the # part)")
	default:
		// Plain http to another host is allowed (a mock on a CI service
		// network, a TLS-terminating sidecar) but said loudly: the token
		// travels in the URL.
		if u.Scheme == "http" && !isLoopback(u.Hostname()) {
			c.Warnings = append(c.Warnings, fmt.Sprintf("api-base-url %q uses plain http to a host that is not loopback: the access token travels unencrypted in the URL; use https", v))
		}
		c.APIBaseURL = strings.TrimRight(v, "/")
	}
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (b *builder) checkOutput() {
	c := b.cfg
	if c.Command == "download" && c.Output == "" && !b.bad["output"] {
		b.fail("output", "", "download needs --output FILE (where to write the downloaded code)")
	}
}

// checkCLIOnly: --listen and --token configure an emulator, so they mean
// nothing without one.
func (b *builder) checkCLIOnly() {
	c := b.cfg
	if c.ActionMode || c.Command == "emulate" || c.Emulator {
		return
	}
	if b.set["listen"] && !b.bad["listen"] {
		b.fail("listen", "", "is only for emulate or --emulator")
	}
	if b.set["token"] && !b.bad["token"] {
		b.fail("token", "", "is only for emulate or --emulator (for the API use --access-token)")
	}
}

func (b *builder) warn() {
	c := b.cfg
	if b.set["output"] && c.Command != "pack" && c.Command != "download" {
		c.Warnings = append(c.Warnings, "output is ignored by "+c.Command+" (it is for pack and download)")
	}
	if c.Command == "deploy" && !c.Invoke {
		if c.InvokeExpect != "" {
			c.Warnings = append(c.Warnings, "invoke-expect is ignored because invoke is false")
		}
		if c.RollbackOnFailure {
			c.Warnings = append(c.Warnings, "rollback-on-failure has no effect without invoke: true (it reacts to a failed smoke test)")
		}
	}
}
