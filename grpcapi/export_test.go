package grpcapi

// For the external tests: the proto's files with their comments, and the walk over their declarations.
var (
	DocumentedFiles  = documented
	WalkDeclarations = walkDeclarations
)
