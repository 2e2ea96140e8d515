//go:build race

package emulator_test

// raceEnabled shrinks the large-upload test under the race detector.
const raceEnabled = true
