package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
)

// The vendor's limits (API-NOTES-TENCENTCLOUD.md §1.2, §3): timeout 1–900 s;
// memory 64, or 128–3072 MB in steps of 128; the environment block ≤ 4 KB.
const (
	maxFunctionTimeout = 900
	maxEnvBlock        = 4096
)

func applyFunctionTimeout(b *builder, v string) {
	if v == "" {
		return
	}
	if n, ok := b.intRange("function-timeout", v, 1, maxFunctionTimeout); ok {
		b.cfg.FunctionTimeout = &n
	}
}

func applyMemory(b *builder, v string) {
	if v == "" {
		return
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		b.fail("memory", v, "is not a whole number of MB (64, or 128 to 3072 in steps of 128)")
		return
	}
	if msg := memoryProblem(n); msg != "" {
		b.fail("memory", v, msg)
		return
	}
	b.cfg.Memory = &n
}

func memoryProblem(n int) string {
	if n == 64 || (n >= 128 && n <= 3072 && n%128 == 0) {
		return ""
	}
	return "is not a memory size cloud functions offer (64, or 128 to 3072 in steps of 128, e.g. 256 or 512)"
}

var envKeyPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)

// applyEnvVars reads KEY=VALUE lines. Messages name keys, never values:
// values may be secrets.
func applyEnvVars(b *builder, v string) {
	if v == "" {
		return
	}
	vars := map[string]string{}
	for i, line := range strings.Split(strings.ReplaceAll(v, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		where := fmt.Sprintf("(line %d) ", i+1)
		switch {
		case !ok:
			b.fail("env-vars", "", where+"has no '=' (write KEY=VALUE, one per line)")
		case !envKeyPattern.MatchString(key):
			b.fail("env-vars", key, where+"is not a variable name (a letter, then letters, digits or _)")
		case hasKey(vars, key):
			b.fail("env-vars", key, where+"is set twice (keep one line)")
		default:
			vars[key] = value
		}
	}
	if envBlockSize(vars) > maxEnvBlock {
		b.fail("env-vars", "", fmt.Sprintf("is larger than the vendor's %d-byte limit for all variables together", maxEnvBlock))
		return
	}
	b.cfg.EnvVars = vars
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

func envBlockSize(vars map[string]string) int {
	n := 0
	for k, v := range vars {
		n += len(k) + len(v) + 1
	}
	return n
}

// functionConfig is the part of a function's config.json this tool reads:
// WeChat DevTools writes triggers (and permissions) there; tcb's settings
// keys are accepted too.
type functionConfig struct {
	Triggers []struct {
		Name   string `json:"name"`
		Type   string `json:"type"`
		Config string `json:"config"`
	} `json:"triggers"`
	Timeout      *int              `json:"timeout"`
	MemorySize   *int              `json:"memorySize"`
	EnvVariables map[string]string `json:"envVariables"`
	Runtime      string            `json:"runtime"`
	Handler      string            `json:"handler"`
}

// checkSettings gives each target the settings it should have: its
// config.json overlaid by the inputs (the inputs win). WeChat's batch API
// sets code only: settings inputs are an error there, a config.json's are a
// warning, never silently dropped.
func (b *builder) checkSettings() {
	c := b.cfg
	if c.Command != Deploy && c.Command != Plan {
		return
	}
	if c.Provider == ProviderWeChat {
		for _, in := range []string{"function-timeout", "memory", "env-vars", "env-vars-secret", "prune-triggers"} {
			if b.set[in] && !b.bad[in] {
				b.fail(in, "", "is not supported by the wechat provider: WeChat's batch API sets code only; use the tencentcloud provider for settings")
			}
		}
	}
	for i := range c.Targets {
		t := &c.Targets[i]
		fc, ok := b.readFunctionConfig(t)
		if !ok {
			continue
		}
		if c.Provider == ProviderWeChat {
			b.warnWeChatConfig(t, fc)
			continue
		}
		t.Settings = b.settingsFor(t, fc)
	}
}

func (b *builder) readFunctionConfig(t *Target) (*functionConfig, bool) {
	name := filepath.Join(t.Dir, "config.json")
	data, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return &functionConfig{}, true
	}
	input := "config.json of " + t.Name
	if err != nil {
		b.fail(input, "", "cannot be read: "+errText(err))
		return nil, false
	}
	var fc functionConfig
	if err := json.Unmarshal(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), &fc); err != nil {
		b.fail(input, "", fmt.Sprintf("is not valid JSON (%v): fix %s", err, filepath.Join(t.Shown, "config.json")))
		return nil, false
	}
	return &fc, b.checkFunctionConfig(input, &fc)
}

func (b *builder) checkFunctionConfig(input string, fc *functionConfig) bool {
	ok := true
	bad := func(msg string) { b.fail(input, "", msg); ok = false }
	if fc.Timeout != nil && (*fc.Timeout < 1 || *fc.Timeout > maxFunctionTimeout) {
		bad(fmt.Sprintf("timeout %d is out of range (1 to %d seconds)", *fc.Timeout, maxFunctionTimeout))
	}
	if fc.MemorySize != nil && memoryProblem(*fc.MemorySize) != "" {
		bad(fmt.Sprintf("memorySize %d %s", *fc.MemorySize, memoryProblem(*fc.MemorySize)))
	}
	if envBlockSize(fc.EnvVariables) > maxEnvBlock {
		bad(fmt.Sprintf("envVariables are larger than the vendor's %d-byte limit", maxEnvBlock))
	}
	names := map[string]bool{}
	for _, tr := range fc.Triggers {
		if msg := triggerProblem(tr.Name, tr.Type, tr.Config, names); msg != "" {
			bad(msg)
		}
	}
	return ok
}

var triggerNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,99}$`)

// triggerProblem checks one config.json trigger: a named timer whose cron
// has seven fields (second minute hour day month weekday year), as WeChat
// writes it.
func triggerProblem(name, typ, cron string, seen map[string]bool) string {
	switch {
	case !triggerNamePattern.MatchString(name):
		return fmt.Sprintf("trigger %q: the name must start with a letter (letters, digits, - and _)", name)
	case seen[name]:
		return fmt.Sprintf("trigger %q is listed twice", name)
	case typ != "timer":
		return fmt.Sprintf("trigger %q: type %q is not supported (cloud functions take timer triggers)", name, typ)
	case len(strings.Fields(cron)) != 7:
		return fmt.Sprintf("trigger %q: cron %q has %d fields, want 7 (second minute hour day month weekday year, e.g. \"0 0 2 * * * *\")", name, cron, len(strings.Fields(cron)))
	}
	seen[name] = true
	return ""
}

func (b *builder) warnWeChatConfig(t *Target, fc *functionConfig) {
	var what []string
	if len(fc.Triggers) > 0 {
		what = append(what, fmt.Sprintf("%d trigger(s)", len(fc.Triggers)))
	}
	if fc.Timeout != nil || fc.MemorySize != nil || fc.EnvVariables != nil || fc.Runtime != "" || fc.Handler != "" {
		what = append(what, "settings")
	}
	if len(what) > 0 {
		b.warnf("%s/config.json has %s that the wechat provider does not apply (WeChat's batch API sets code only): set them in the console, or deploy with the tencentcloud provider",
			t.Shown, strings.Join(what, " and "))
	}
}

func (b *builder) settingsFor(t *Target, fc *functionConfig) backend.Settings {
	c := b.cfg
	s := backend.Settings{Timeout: fc.Timeout, MemorySize: fc.MemorySize, Runtime: fc.Runtime, Handler: fc.Handler, PruneTriggers: c.PruneTriggers}
	if c.FunctionTimeout != nil {
		s.Timeout = c.FunctionTimeout
	}
	if c.Memory != nil {
		s.MemorySize = c.Memory
	}
	if b.set["runtime"] {
		s.Runtime = c.TencentCloud.Runtime
	}
	if b.set["handler"] {
		s.Handler = c.TencentCloud.Handler
	}
	if fc.EnvVariables != nil || c.EnvVars != nil {
		s.EnvVars = map[string]string{}
		for k, v := range fc.EnvVariables {
			s.EnvVars[k] = v
		}
		for k, v := range c.EnvVars {
			s.EnvVars[k] = v
		}
		if envBlockSize(s.EnvVars) > maxEnvBlock {
			b.fail("env-vars", "", fmt.Sprintf("together with %s/config.json's envVariables, passes the vendor's %d-byte limit", t.Shown, maxEnvBlock))
		}
	}
	for _, tr := range fc.Triggers {
		s.Triggers = append(s.Triggers, backend.Trigger{Name: tr.Name, Type: tr.Type, Config: strings.Join(strings.Fields(tr.Config), " ")})
	}
	sort.Slice(s.Triggers, func(i, j int) bool { return s.Triggers[i].Name < s.Triggers[j].Name })
	return s
}
