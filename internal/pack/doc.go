// Package pack builds the zip WeChat runs: it selects a function directory's
// files with the `files` globs and writes them, flat and deterministic, into one
// in-memory zip, compressing entries in parallel.
//
// Selection. Every file's slash path relative to the root is matched against the
// rules in order and the last rule that matches wins: the file is packed iff that
// rule is an include. A file no rule matches is left out. Built-in excludes come
// first (DefaultExcludes: node_modules/**, .git/**, **/.DS_Store, __MACOSX/**),
// so a later line re-includes them, but only a line that spells the excluded
// name: wildcards never match it, as a shell's * skips dot files. The default
// "**" therefore leaves node_modules out, "node_modules/**" or
// "node_modules/lodash/**" brings it back, and "**/*.js" does not. Patterns
// match files, never directories: exclude a folder with `!dir/**`. The walk
// skips a directory only when no rule could pack anything below it.
// Symbolic links are followed while their target stays inside the root; one
// that escapes it, a dangling one, a loop and special files (devices, sockets,
// fifos) are refused when the rules would select them.
//
// Layout. Names are relative to the root (the zip is flat); a root that holds a
// single directory and nothing else is refused, as is one without the entry file
// (index.js unless told otherwise), because WeChat looks for it at the root.
//
// Speed. A walker lists directories in zip order, batches of files go to one
// compressor per core (github.com/klauspost/compress/flate, DefaultLevel), and
// the caller appends the results in order to a single output slice, so the
// walk, the reads and the compression overlap and memory stays near the zip's
// size. Entries that deflate does not shrink are stored.
//
// Determinism. Entries are sorted by name and carry a fixed time (1980-01-01,
// the zip epoch), normalised Unix permissions (0644, 0755 when any exec bit is
// set) and no extra fields, so the same tree gives the same bytes whatever the
// clock, the file order on disk or the machine: the SHA-256 is stable and
// skip-unchanged works.
package pack
