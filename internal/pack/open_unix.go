//go:build unix

package pack

import "syscall"

// openFlags makes opening a fifo return at once instead of waiting for a
// writer; regular files ignore O_NONBLOCK.
const openFlags = syscall.O_NONBLOCK
