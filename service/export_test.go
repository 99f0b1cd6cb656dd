package service

// AssertViolations lets the package's external tests (those that need a real store, which imports
// this package) hold errors to the same standard as its own tests.
var AssertViolations = assertViolations
