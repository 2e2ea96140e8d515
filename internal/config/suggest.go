package config

import "strings"

// suggest returns the candidate closest to s by edit distance, or "" when
// none is close enough to be a plausible typo.
func suggest(s string, candidates []string) string {
	in := strings.ReplaceAll(strings.ToLower(s), "_", "-")
	if len(in) > 64 {
		return "" // nothing that long is a typo of a flag name; keep it cheap
	}
	best, bestDist := "", -1
	for _, c := range candidates {
		d := editDistance(in, c)
		if len(in) >= 3 && strings.HasPrefix(c, in) {
			d = min(d, 1) // "--function" for "--function-name"
		}
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	if bestDist < 0 || bestDist > max(2, len(in)/3) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance over bytes (flag names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
