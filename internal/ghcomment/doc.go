// Package ghcomment keeps one sticky pull request comment per workflow job:
// it reads the triggering event (go-github's event types), decides whether to
// comment, and creates the comment or edits the one an earlier run left:
// found by its hidden marker at the start of the body AND written by the
// token's own user, so nobody else's comment is ever edited. Every call takes
// the caller's context; nothing retries or waits beyond it.
package ghcomment
