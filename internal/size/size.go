// Package size formats byte counts the one way the project shows them:
// binary units, like the size-limit input's default (20MiB).
package size

import (
	"strconv"
	"strings"
)

// Format renders n bytes as "512 B", "1.5 KiB", "20 MiB": one decimal, none
// when it is zero.
func Format(n int64) string {
	if n < 1024 && n > -1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v := float64(n) / 1024
	u := 0
	for (v >= 1024 || v <= -1024) && u < len(units)-1 {
		v /= 1024
		u++
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if s == "1024.0" && u < len(units)-1 { // 1023.96 KiB rounds up: say 1 MiB
		s, u = "1", u+1
	}
	return strings.TrimSuffix(s, ".0") + " " + units[u]
}
