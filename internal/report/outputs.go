package report

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
)

// Output is one action output (CONTRACT.md, "Outputs").
type Output struct {
	Name, Value string
}

// Outputs lists the contract's outputs in a fixed order: status, results,
// failed-envs, zip-sha256, zip-size, packages.
func Outputs(run *result.Run) []Output {
	status := "failure"
	if run.OK() {
		status = "success"
	}
	results := run.Results
	if results == nil {
		// The contract promises a JSON array: "null" would break fromJSON users.
		results = []result.Result{}
	}
	var zipSHA, zipSize string
	if name, ok := firstPackage(run); ok {
		p := run.Packages[name]
		zipSHA = p.SHA256
		zipSize = strconv.FormatInt(p.Size, 10)
	}
	pkgs := run.Packages
	if pkgs == nil {
		pkgs = map[string]result.Package{}
	}
	return []Output{
		{Name: "status", Value: status},
		{Name: "results", Value: marshal(results)},
		{Name: "failed-envs", Value: strings.Join(run.FailedEnvs(), ",")},
		{Name: "zip-sha256", Value: zipSHA},
		{Name: "zip-size", Value: zipSize},
		// encoding/json sorts map keys, which keeps the output byte-stable.
		{Name: "packages", Value: marshal(pkgs)},
	}
}

// firstPackage names "the first function" of the contract: the first entry of
// PackageOrder that was built. A run without PackageOrder (older producers)
// falls back to the smallest name so the answer stays deterministic.
func firstPackage(run *result.Run) (string, bool) {
	for _, name := range run.PackageOrder {
		if _, ok := run.Packages[name]; ok {
			return name, true
		}
	}
	if len(run.PackageOrder) > 0 || len(run.Packages) == 0 {
		return "", false
	}
	names := make([]string, 0, len(run.Packages))
	for name := range run.Packages {
		names = append(names, name)
	}
	sort.Strings(names)
	return names[0], true
}

// marshal encodes without HTML escaping: the values are read by people and
// by fromJSON, and "\u003c" in an error message helps neither.
func marshal(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only reachable with unsupported types; the result types are plain data.
		return "null"
	}
	return strings.TrimSuffix(buf.String(), "\n")
}
