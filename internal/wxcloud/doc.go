// Package wxcloud is a typed client for WeChat's cloud development (TCB) server
// API: the batch upload calls, createfunction, invokecloudfunction,
// downloadfunction and the two token endpoints. It owns everything about
// talking to the vendor: retries with backoff, the refresh-once rule for
// expired tokens, streaming the base64 zip, turning error codes into advice,
// and redacting every token and secret from what it returns or logs.
//
// The vendor pages it follows are in ../../../shared/seeds; API-NOTES.md beside
// them records the facts the pages leave out.
package wxcloud
