package config

import (
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// envIDPattern: env IDs look like prod-3gewtf9c10f60c76 (API-NOTES.md "Limits").
// Underscores never occur in generated IDs, so they are rejected here rather
// than by the API with a vaguer message.
var envIDPattern = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// ParseEnvs splits the envs input on commas and newlines, trims each entry and
// drops blanks (so "a,,b", a trailing comma or a blank YAML line are fine).
// An entry that is not an env ID, or one listed twice, is an error naming it.
func ParseEnvs(s string) ([]string, error) {
	var (
		envs []string
		errs Errors
		seen = map[string]bool{}
		dup  = map[string]bool{}
	)
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' })
	for _, f := range fields {
		f = strings.TrimSpace(f)
		switch {
		case f == "":
			continue
		case !envIDPattern.MatchString(f):
			errs = append(errs, &InputError{Input: "envs", Value: f,
				Msg: "is not a valid env ID (letters, digits and '-' only, at most 64, e.g. prod-3gewtf9c10f60c76)"})
		case seen[f]:
			if !dup[f] {
				dup[f] = true
				errs = append(errs, &InputError{Input: "envs", Value: f,
					Msg: "is listed more than once (remove the duplicate)"})
			}
		default:
			seen[f] = true
			envs = append(envs, f)
		}
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return envs, nil
}

var sizePattern = regexp.MustCompile(`^([0-9]+)(?:\.([0-9]+))?\s*([a-z]*)$`)

// sizeUnits: SI prefixes are powers of 1000 and IEC prefixes powers of 1024,
// as the vendor's "20 M" is ambiguous enough already (API-NOTES.md "Limits").
var sizeUnits = map[string]int64{
	"": 1, "b": 1, "byte": 1, "bytes": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// ParseSize parses a byte size such as "20MiB", "15MB" (10^6 bytes), "512KiB",
// "1.5 GiB" or "1048576". Units are case-insensitive and may follow a space.
// Fractions round down to whole bytes. Zero, negative, overflowing or
// unparseable sizes are an *InputError for the size-limit input.
func ParseSize(s string) (int64, error) {
	const input = "size-limit"
	const hint = "(use bytes or a unit: 20MiB, 15MB, 512KiB)"
	in := strings.ToLower(strings.TrimSpace(s))
	if strings.HasPrefix(in, "-") {
		return 0, &InputError{Input: input, Value: s, Msg: "must be greater than zero " + hint}
	}
	m := sizePattern.FindStringSubmatch(in)
	if m == nil {
		return 0, &InputError{Input: input, Value: s, Msg: "is not a size " + hint}
	}
	unit, ok := sizeUnits[m[3]]
	if !ok {
		msg := "has an unknown unit " + strconv.Quote(m[3]) + " " + hint
		switch m[3] {
		case "k", "m", "g", "t":
			// Say which reading we refuse to guess.
			u := strings.ToUpper(m[3])
			msg = "has an ambiguous unit " + strconv.Quote(m[3]) + " (use " + u + "iB for powers of 1024 or " + u + "B for powers of 1000)"
		}
		return 0, &InputError{Input: input, Value: s, Msg: msg}
	}
	// big.Int because the digits are unbounded until here (inputs are up to 4 KiB).
	n, _ := new(big.Int).SetString(m[1], 10)
	n.Mul(n, big.NewInt(unit))
	if frac := m[2]; frac != "" {
		f, _ := new(big.Int).SetString(frac, 10)
		f.Mul(f, big.NewInt(unit))
		f.Quo(f, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac))), nil))
		n.Add(n, f)
	}
	if !n.IsInt64() {
		return 0, &InputError{Input: input, Value: s, Msg: "is too large (at most " + strconv.FormatInt(math.MaxInt64, 10) + " bytes)"}
	}
	if n.Sign() <= 0 {
		return 0, &InputError{Input: input, Value: s, Msg: "must be greater than zero " + hint}
	}
	return n.Int64(), nil
}

// ParseBool accepts the booleans of the YAML 1.2 core schema, the ones an
// action.yml author can type without surprise. "yes", "1" and "on" are refused
// rather than guessed.
func ParseBool(input, s string) (bool, error) {
	switch s {
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	}
	return false, &InputError{Input: input, Value: s, Msg: "is not a boolean (use true or false)"}
}

func isBool(s string) bool {
	_, err := ParseBool("", s)
	return err == nil
}

// maxTimeout: a per-request timeout longer than this hides a hung connection
// for longer than most CI jobs are willing to wait.
const maxTimeout = 30 * time.Minute

// parseTimeout reads a Go duration ("90s", "1m30s") or a plain integer number
// of seconds ("60").
func parseTimeout(s string) (time.Duration, error) {
	const input = "timeout"
	const hint = "(use a duration such as 60s or 2m, or whole seconds)"
	var d time.Duration
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n > int64(maxTimeout/time.Second) {
			return 0, &InputError{Input: input, Value: s, Msg: "is too long (at most 30m)"}
		}
		d = time.Duration(n) * time.Second
	} else if allDigits(s) {
		return 0, &InputError{Input: input, Value: s, Msg: "is too long (at most 30m)"}
	} else {
		d, err = time.ParseDuration(s)
		if err != nil {
			return 0, &InputError{Input: input, Value: s, Msg: "is not a duration " + hint}
		}
	}
	switch {
	case d <= 0:
		return 0, &InputError{Input: input, Value: s, Msg: "must be greater than zero " + hint}
	case d > maxTimeout:
		return 0, &InputError{Input: input, Value: s, Msg: "is too long (at most 30m)"}
	}
	return d, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseRange reads an integer in [lo, hi].
func parseRange(input, s string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil && allDigits(strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")) {
		n, err = hi+1, nil // overflowed int: certainly out of range
	}
	if err != nil {
		return 0, &InputError{Input: input, Value: s, Msg: "is not a whole number (use " + strconv.Itoa(lo) + " to " + strconv.Itoa(hi) + ")"}
	}
	if n < lo || n > hi {
		return 0, &InputError{Input: input, Value: s, Msg: "is out of range (use " + strconv.Itoa(lo) + " to " + strconv.Itoa(hi) + ")"}
	}
	return n, nil
}
