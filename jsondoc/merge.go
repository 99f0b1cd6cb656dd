package jsondoc

import "fmt"

// MergePatch applies an RFC 7396 JSON merge patch to a stored document (canonical text) and returns the
// result as canonical text within lim, with the decoded object a schema validates. A member of patch
// that is null removes the member; an object merges into the member's object, or replaces a member of
// another kind; anything else (arrays included) replaces the member whole. The patch is an object, as a
// document is (a patch of another kind would replace the document with something that is not one).
func MergePatch(doc string, patch map[string]any, lim Limits) (string, map[string]any, error) {
	current, err := parse(doc, Limits{})
	if err != nil {
		return "", nil, fmt.Errorf("the stored document: %w", err)
	}
	target, ok := current.(map[string]any)
	if !ok {
		target = map[string]any{}
	}
	merged := merge(target, patch)
	b := &output{max: lim.MaxBytes}
	b.Grow(len(doc))
	err = write(b, merged)
	if err == nil {
		err = b.full()
	}
	if err != nil {
		// Writing stops once past the limit: the size is at least this.
		return "", nil, &TooLargeError{Size: b.Len(), Limit: lim.MaxBytes}
	}
	return b.String(), merged, nil
}

// merge is RFC 7396's MergePatch on objects; target is changed in place and returned.
func merge(target, patch map[string]any) map[string]any {
	for k, v := range patch {
		switch v := v.(type) {
		case nil:
			delete(target, k)
		case map[string]any:
			inner, ok := target[k].(map[string]any)
			if !ok {
				inner = map[string]any{}
			}
			target[k] = merge(inner, v)
		default:
			target[k] = v
		}
	}
	return target
}
