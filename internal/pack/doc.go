// Package pack builds the zip WeChat runs: it selects a function directory's
// files with the `files` rules (parsed by package globs) and writes them,
// flat and deterministic, into one zip in a temporary file, compressing
// entries in parallel. It also tells whether two zips hold the same files
// (SameContent), for deploy's "unchanged" check.
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
// Speed and memory. A walker lists directories in zip order, batches of files
// go to one compressor per core (github.com/klauspost/compress/flate,
// DefaultLevel), and the caller writes the results in order through
// github.com/klauspost/compress/zip (CreateRaw) into the temporary file,
// hashing as it goes, so the walk, the reads and the compression overlap.
// Entries that deflate does not shrink are stored. Memory is bounded by the
// concurrency, not the zip: workers hand over megabyte pieces under a byte
// budget, and a large file that deflate does not shrink is copied from disk
// by the writer instead of held (bench/packmem: 18 MiB peak for a 19 MiB
// zip, 33 MiB for a 75 MiB one). After Build a Package costs its file list;
// Close removes the file.
//
// Determinism. Entries are sorted by name and carry a fixed time (1980-01-01,
// the zip epoch), normalised Unix permissions (0644, 0755 when any exec bit is
// set) and no extra fields, so the same tree gives the same bytes whatever the
// clock, the file order on disk or the machine: the SHA-256 is stable and
// skip-unchanged works. testdata/golden holds zips of the hand-written writer
// that came before klauspost/compress/zip, and the bytes have not changed.
package pack
