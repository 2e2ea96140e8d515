package ghcomment

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/google/go-github/v60/github"
)

// Event is what the comment needs from the triggering workflow event.
type Event struct {
	// Name is GITHUB_EVENT_NAME.
	Name string
	// PRNumber and HeadSHA are set only for pull_request and
	// pull_request_target events; other events (push, workflow_dispatch,
	// issue_comment) leave them zero. Callers wanting a commit for those use
	// GITHUB_SHA.
	PRNumber int
	HeadSHA  string
	// Owner and Repo come from GITHUB_REPOSITORY, or from the payload when
	// that is unset.
	Owner, Repo string
}

// IsPullRequest reports whether the event is one whose payload names a pull
// request this package may comment on.
func (e *Event) IsPullRequest() bool {
	return e.Name == "pull_request" || e.Name == "pull_request_target"
}

// LoadEvent reads GITHUB_EVENT_NAME, GITHUB_REPOSITORY and the JSON payload
// at GITHUB_EVENT_PATH, decoded into go-github's event types (testdata/events/
// holds examples). Without GITHUB_EVENT_PATH (outside GitHub Actions) the
// event has no pull request, which is not an error.
func LoadEvent(getenv func(string) string) (*Event, error) {
	ev := &Event{Name: getenv("GITHUB_EVENT_NAME")}
	if full := getenv("GITHUB_REPOSITORY"); full != "" {
		owner, repo, ok := strings.Cut(full, "/")
		if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
			return nil, fmt.Errorf("GITHUB_REPOSITORY %q is not owner/name (unset it outside GitHub Actions)", full)
		}
		ev.Owner, ev.Repo = owner, repo
	}
	path := getenv("GITHUB_EVENT_PATH")
	if path == "" {
		return ev, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the event payload GITHUB_EVENT_PATH %q: %w", path, err)
	}
	owner, repo, err := decodePayload(ev, data)
	if err != nil {
		return nil, fmt.Errorf("decoding the event payload GITHUB_EVENT_PATH %q: %w (is it a webhook JSON payload?)", path, err)
	}
	if ev.Owner == "" {
		ev.Owner, ev.Repo = owner, repo
	}
	return ev, nil
}

// decodePayload fills ev's pull request from data and returns the
// repository the payload names.
func decodePayload(ev *Event, data []byte) (owner, repo string, err error) {
	name := ev.Name
	if name == "pull_request_target" {
		// The same payload as pull_request; go-github knows it by that name.
		name = "pull_request"
	}
	payload, err := github.ParseWebHook(name, data)
	if err != nil {
		// An event go-github has no type for (or none at all, outside
		// Actions): every webhook payload names its repository the same way.
		var other struct {
			Repo *github.Repository `json:"repository"`
		}
		if jerr := json.Unmarshal(data, &other); jerr != nil {
			return "", "", jerr
		}
		return other.Repo.GetOwner().GetLogin(), other.Repo.GetName(), nil
	}
	switch p := payload.(type) {
	case *github.PullRequestEvent:
		if ev.IsPullRequest() {
			ev.PRNumber = p.GetNumber()
			if n := p.GetPullRequest().GetNumber(); n != 0 {
				ev.PRNumber = n
			}
			ev.HeadSHA = p.GetPullRequest().GetHead().GetSHA()
		}
		return p.GetRepo().GetOwner().GetLogin(), p.GetRepo().GetName(), nil
	case *github.PushEvent:
		// A push names its repository with a type of its own.
		return p.GetRepo().GetOwner().GetLogin(), p.GetRepo().GetName(), nil
	case interface{ GetRepo() *github.Repository }:
		return p.GetRepo().GetOwner().GetLogin(), p.GetRepo().GetName(), nil
	}
	return "", "", nil
}

// ShouldComment decides whether to comment for the comment input: "auto"
// (the default) only on pull_request and pull_request_target events,
// "always" whenever a pull request is known (push events have none), "never"
// not at all. An unknown mode does not comment; config validation rejects it
// earlier.
func ShouldComment(mode string, ev *Event) bool {
	if ev == nil || ev.PRNumber <= 0 || ev.Owner == "" || ev.Repo == "" {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(mode)) {
	case "always":
		return true
	case "auto", "":
		return ev.IsPullRequest()
	default:
		return false
	}
}
