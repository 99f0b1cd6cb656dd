// Package faults is flex-db's fault suite: the real binary crashed, starved and flooded while it serves,
// and the promises checked afterwards (nothing acknowledged lost, every fault a clear answer, memory
// bounded). Its tests carry the build tag "faults" and run with `make faults`, after `make test`; each
// case bounds its own time and cleans up after itself.
package faults
