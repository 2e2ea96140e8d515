//go:build !unix

package pack

// openFlags: no fifos to guard against here.
const openFlags = 0
