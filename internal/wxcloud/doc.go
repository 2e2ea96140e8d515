// Package wxcloud is WeChat's cloud development (TCB) server API for
// third-party platforms: a typed client for the batch upload calls,
// createfunction, invokecloudfunction, downloadfunction and the two token
// endpoints, and Backend, which implements backend.Backend over it. It owns
// everything about talking to the vendor: which token each call takes (the
// batch calls a component_access_token and nothing else), retries through
// httpx.Backoff (Retry-After, the quota codes, the refresh-once rule for
// expired tokens), refusing redirects to another origin, streaming the base64
// zip from a file, the one reading of fail lists, turning error codes into
// advice and a backend.Kind, and redacting every token and secret from what
// it returns or logs.
//
// The vendor pages it follows are in ../../../shared/seeds; API-NOTES.md beside
// them records the facts the pages leave out.
package wxcloud
