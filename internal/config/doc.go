// Package config turns GitHub Action inputs (INPUT_<NAME>) or CLI flags spelled
// like those inputs into one validated Config, so that bad input is reported
// (as *InputError, exit status 2) before anything is sent to the API.
//
// Both front doors read the same table of input definitions (inputs.go), which
// also generates Usage: adding an input there adds its flag, its default and
// its help line at once.
package config
