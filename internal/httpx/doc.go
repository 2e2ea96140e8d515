// Package httpx is what every vendor call shares below the vendor's own
// protocol: a transport that refuses redirects to another origin or from
// https to http (so a token, a signature or a zip is never re-sent to a host
// the user did not name), one rate limit for all vendor calls of a run
// (max-rps), Retry-After, and the backoff loop both vendor clients retry with.
//
// The transport is also handed to the Tencent Cloud SDK's client
// (WithHttpTransport): the SDK's own http.Client follows redirects, and a
// redirect turned into an error below it is one it cannot follow.
package httpx
