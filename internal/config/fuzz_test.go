package config

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkInputErr fails unless err is an *InputError or Errors whose messages
// are valid UTF-8 (values are escaped, never pasted raw).
func checkInputErr(t *testing.T, err error) []*InputError {
	t.Helper()
	var ies []*InputError
	switch e := err.(type) {
	case *InputError:
		ies = []*InputError{e}
	case Errors:
		if len(e) < 2 {
			t.Fatalf("Errors of length %d", len(e))
		}
		ies = e
	default:
		t.Fatalf("error %T %v: want *InputError or Errors", err, err)
	}
	for _, ie := range ies {
		if ie == nil || ie.Input == "" || ie.Msg == "" {
			t.Fatalf("incomplete InputError %#v", ie)
		}
	}
	if !utf8.ValidString(err.Error()) {
		t.Fatalf("error text is not valid UTF-8: %q", err.Error())
	}
	return ies
}

func FuzzParseEnvs(f *testing.F) {
	for _, s := range []string{"dev-1", "a,b\nc", ",,a,,", "a,a", "dev 1", "x\xff", strings.Repeat("e", 65)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		envs, err := ParseEnvs(s)
		if err != nil {
			for _, ie := range checkInputErr(t, err) {
				if ie.Input != "envs" {
					t.Fatalf("input %q, want envs", ie.Input)
				}
			}
			if envs != nil {
				t.Fatalf("envs %q alongside an error", envs)
			}
			return
		}
		seen := map[string]bool{}
		for _, e := range envs {
			if !envIDPattern.MatchString(e) || seen[e] {
				t.Fatalf("accepted %q from %q", e, s)
			}
			seen[e] = true
		}
		// Parsing the canonical form gives the same list.
		again, err := ParseEnvs(strings.Join(envs, ","))
		if err != nil || strings.Join(again, ",") != strings.Join(envs, ",") {
			t.Fatalf("round trip of %q: %q, %v", envs, again, err)
		}
	})
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"20MiB", "15MB", "512 KiB", "1048576", "1.5GiB", "-1", "0", "20M", "99999999999999999999", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			for _, ie := range checkInputErr(t, err) {
				if ie.Input != "size-limit" {
					t.Fatalf("input %q", ie.Input)
				}
			}
			return
		}
		if n <= 0 {
			t.Fatalf("ParseSize(%q) = %d", s, n)
		}
		if v, perr := strconv.ParseInt(strings.TrimSpace(s), 10, 64); perr == nil && v != n {
			t.Fatalf("ParseSize(%q) = %d, plain bytes say %d", s, n, v)
		}
	})
}

// FuzzFromArgs splits its input on \x1e (record separator) into arguments.
func FuzzFromArgs(f *testing.F) {
	for _, s := range []string{
		"deploy\x1e--function-name\x1elogin\x1e--envs\x1edev-1\x1e--access-token\x1et",
		"pack\x1e--function-name=login\x1e--size-limit\x1e15MB",
		"deploy\x1e--invoke\x1e--dry-run\x1efalse\x1e--emulator\x1e--envs=a,b",
		"emulate\x1e--listen\x1e127.0.0.1:0\x1e--token\x1ex",
		"invoke\x1e--functon-name\x1ex",
		"download\x1e--function-name\x1ea\xffb",
		"help", "--version", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, "\x1e")
		if s == "" {
			args = nil
		}
		cfg, err := FromArgs(args, nil)
		switch {
		case errors.Is(err, ErrHelp), errors.Is(err, ErrVersion):
			return
		case err != nil:
			checkInputErr(t, err)
			if cfg != nil {
				t.Fatal("config alongside an error")
			}
			return
		}
		if !validCommand(cfg.Command, false) || cfg.Concurrency < 1 || cfg.Concurrency > 64 ||
			cfg.Retries < 0 || cfg.Retries > 10 || cfg.Timeout <= 0 || cfg.SizeLimit <= 0 || cfg.SizeLimit > maxSizeLimit {
			t.Fatalf("accepted an out-of-range config %+v from %q", cfg, args)
		}
		for _, tg := range cfg.Targets {
			if !FunctionNamePattern.MatchString(tg.Name) {
				t.Fatalf("accepted function name %q", tg.Name)
			}
		}
	})
}
