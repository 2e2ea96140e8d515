package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/expect"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/globs"
)

// maxSizeLimit: the vendor's own limit is about 20 MB; a larger size-limit is
// almost certainly a unit mistake.
const maxSizeLimit = 1 << 30

// FunctionNamePattern is Tencent SCF's rule (API-NOTES.md "Limits"), the one
// function-name rule of the project: inputs and directory names alike.
var FunctionNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,58}[A-Za-z0-9]$`)

const functionNameRule = "(2-60 characters: letters, digits, '-' and '_', starting with a letter and ending with a letter or digit)"

func applyFunctionName(b *builder, v string) {
	if v != "" && !FunctionNamePattern.MatchString(v) {
		b.fail("function-name", v, "is not a valid function name "+functionNameRule)
		return
	}
	b.functionName = v
}

func applyPath(b *builder, v string) {
	b.path = filepath.Clean(v)
}

// globList parses a glob-list input with the one parser of the project, and
// names the bad lines under the input.
func (b *builder) globList(input, v string) globs.List {
	list, err := globs.Parse(v)
	if err != nil {
		for _, le := range lineErrors(err) {
			b.fail(input, le.Text, fmt.Sprintf("(line %d) %s", le.Line, le.Msg))
		}
		return nil
	}
	return list
}

func applyFiles(b *builder, v string) { b.cfg.Files = b.globList("files", v) }

// functions is parsed by checkTargets, once the workspace is known: an
// absolute glob inside it is made relative first.
func applyFunctions(b *builder, v string) { b.functions = v }

func applyResultsFiles(b *builder, v string) {
	if v != "" {
		b.cfg.ResultsFiles = b.globList("results-files", v)
	}
}

func applyEnvs(b *builder, v string) {
	envs, err := ParseEnvs(v)
	if err != nil {
		b.addErr(err)
		return
	}
	b.cfg.Envs = envs
}

func applyMode(b *builder, v string) {
	switch m := Mode(v); m {
	case ModeAuto, ModeCreate, ModeUpdate:
		b.cfg.Mode = m
	default:
		b.fail("mode", v, "is not a mode (use auto, create or update)")
	}
}

func applyProvider(b *builder, v string) {
	switch p := Provider(v); p {
	case ProviderAuto, ProviderWeChat, ProviderTencentCloud:
		b.cfg.Provider = p
	default:
		msg := "is not a provider (use tencentcloud, wechat or auto)"
		if s := suggest(v, []string{"tencentcloud", "wechat", "auto"}); s != "" {
			msg = "is not a provider (did you mean " + s + "? use tencentcloud, wechat or auto)"
		}
		b.fail("provider", v, msg)
	}
}

func applyComment(b *builder, v string) {
	switch m := CommentMode(v); m {
	case CommentAuto, CommentAlways, CommentNever:
		b.cfg.Comment = m
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
	var event any
	if err := json.Unmarshal([]byte(v), &event); err != nil {
		msg := `is not valid JSON (give a JSON object such as {"name":"ci"})`
		if json.Valid([]byte(v)) {
			msg = "holds a JSON number out of range (the function could not read it)"
		}
		b.fail("invoke-data", v, msg)
		return
	}
	if _, ok := event.(map[string]any); !ok {
		// The function receives it as its event, which the API wants as an object.
		b.fail("invoke-data", v, `is not a JSON object (the function's event must be one: wrap it, e.g. {"value":1})`)
		return
	}
	b.cfg.InvokeData = json.RawMessage(v)
}

func applyInvokeExpect(b *builder, v string) {
	e, err := expect.Parse(v)
	if err != nil {
		b.fail("invoke-expect", v, err.Error())
		return
	}
	b.cfg.InvokeExpect = e
}

func applyConcurrency(b *builder, v string) {
	if n, ok := b.intRange("concurrency", v, 1, 64); ok {
		b.cfg.Concurrency = n
	}
}

func applyRetries(b *builder, v string) {
	if n, ok := b.intRange("retries", v, 0, 10); ok {
		b.cfg.Retries = n
	}
}

func applyEnvsPerCall(b *builder, v string) {
	if n, ok := b.intRange("envs-per-call", v, 1, 1000); ok {
		b.cfg.WeChat.EnvsPerCall = n
	}
}

func applyShards(b *builder, v string) {
	if v == "" {
		return
	}
	if n, ok := b.intRange("shards", v, 2, 256); ok {
		b.cfg.Shards = n
	}
}

func (b *builder) intRange(input, v string, lo, hi int) (int, bool) {
	n, err := parseRange(input, v, lo, hi)
	if err != nil {
		b.addErr(err)
		return 0, false
	}
	return n, true
}

func applyMaxRPS(b *builder, v string) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f != f {
		b.fail("max-rps", v, "is not a number (calls per second, e.g. 20 or 0.5)")
		return
	}
	if f < 0.1 || f > 1000 {
		b.fail("max-rps", v, "is out of range (use 0.1 to 1000 calls per second)")
		return
	}
	b.cfg.MaxRPS = f
}

var shardPattern = regexp.MustCompile(`^([0-9]{1,4})/([0-9]{1,4})$`)

func applyShard(b *builder, v string) {
	if v == "" {
		return
	}
	m := shardPattern.FindStringSubmatch(v)
	if m == nil {
		b.fail("shard", v, "is not I/N (use the matrix value of a plan, e.g. 1/4)")
		return
	}
	i, _ := strconv.Atoi(m[1])
	n, _ := strconv.Atoi(m[2])
	switch {
	case n < 1:
		b.fail("shard", v, "has no shards (N must be at least 1)")
	case i < 1 || i > n:
		b.fail("shard", v, fmt.Sprintf("is out of range (I runs from 1 to %d)", n))
	default:
		b.cfg.Shard = Shard{Index: i, Count: n}
	}
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

var regionPattern = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]+){1,2}(-[0-9]+)?$`)

func applyRegion(b *builder, v string) {
	if !regionPattern.MatchString(v) {
		b.fail("region", v, "is not a Tencent Cloud region (e.g. ap-shanghai, ap-guangzhou, ap-beijing)")
		return
	}
	b.cfg.TencentCloud.Region = v
}

// runtimes are SCF's Node.js runtimes (API-NOTES-TENCENTCLOUD.md §1.2); a
// cloud function for a Mini Program is Node.js.
var runtimes = []string{"Nodejs10.15", "Nodejs12.16", "Nodejs14.18", "Nodejs16.13", "Nodejs18.15", "Nodejs20.19"}

func applyRuntime(b *builder, v string) {
	for _, r := range runtimes {
		if strings.EqualFold(r, v) {
			b.cfg.TencentCloud.Runtime = r
			return
		}
	}
	b.fail("runtime", v, "is not a Node.js runtime of cloud functions (use one of "+strings.Join(runtimes, ", ")+")")
}

var handlerPattern = regexp.MustCompile(`^[A-Za-z0-9_$][A-Za-z0-9_$./-]*\.[A-Za-z_$][A-Za-z0-9_$]*$`)

func applyHandler(b *builder, v string) {
	if !handlerPattern.MatchString(v) || strings.Contains(v, "..") {
		b.fail("handler", v, "is not file.function (e.g. index.main: main exported by index.js)")
		return
	}
	b.cfg.TencentCloud.Handler = v
}

// lineErrors flattens what globs.Parse returns: one *globs.LineError or a
// join of several.
func lineErrors(err error) []*globs.LineError {
	var le *globs.LineError
	if errors.As(err, &le) && le == err {
		return []*globs.LineError{le}
	}
	var out []*globs.LineError
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, lineErrors(e)...)
		}
		return out
	}
	return []*globs.LineError{{Text: "", Msg: err.Error()}}
}
