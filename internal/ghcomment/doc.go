// Package ghcomment keeps one sticky pull request comment per workflow job:
// it reads the triggering event, decides whether to comment, and creates the
// comment or edits the one an earlier run left (found by its hidden marker).
package ghcomment
