package ghcomment

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The payloads are @octokit/webhooks-examples' (see testdata/events/README.md).
func eventFile(name string) string {
	return filepath.Join("..", "..", "testdata", "events", name+".json")
}

func TestLoadEvent(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    Event
		wantErr string
	}{
		{
			name: "pull_request",
			env:  map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_REPOSITORY": "octo/mini", "GITHUB_EVENT_PATH": eventFile("pull_request")},
			want: Event{Name: "pull_request", PRNumber: 2, HeadSHA: "ec26c3e57ca3a959ca5aad62de7213c562f8c821", Owner: "octo", Repo: "mini"},
		},
		{
			name: "pull_request_target reads the same payload",
			env:  map[string]string{"GITHUB_EVENT_NAME": "pull_request_target", "GITHUB_EVENT_PATH": eventFile("pull_request")},
			want: Event{Name: "pull_request_target", PRNumber: 2, HeadSHA: "ec26c3e57ca3a959ca5aad62de7213c562f8c821", Owner: "Codertocat", Repo: "Hello-World"},
		},
		{
			name: "push has no pull request",
			env:  map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_REPOSITORY": "octo/mini", "GITHUB_EVENT_PATH": eventFile("push")},
			want: Event{Name: "push", Owner: "octo", Repo: "mini"},
		},
		{
			name: "workflow_dispatch has no pull request",
			env:  map[string]string{"GITHUB_EVENT_NAME": "workflow_dispatch", "GITHUB_EVENT_PATH": eventFile("workflow_dispatch")},
			want: Event{Name: "workflow_dispatch", Owner: "octo-org", Repo: "octo-repo"},
		},
		{
			name: "a pull_request payload under another event name is not a PR",
			env:  map[string]string{"GITHUB_EVENT_NAME": "issue_comment", "GITHUB_REPOSITORY": "octo/mini", "GITHUB_EVENT_PATH": eventFile("pull_request")},
			want: Event{Name: "issue_comment", Owner: "octo", Repo: "mini"},
		},
		{
			name: "outside GitHub Actions",
			env:  map[string]string{},
			want: Event{},
		},
		{
			name:    "missing payload file",
			env:     map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": filepath.Join(t.TempDir(), "nope.json")},
			wantErr: "GITHUB_EVENT_PATH",
		},
		{
			name:    "payload is not JSON",
			env:     map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": bad},
			wantErr: "decoding the event payload",
		},
		{
			name:    "malformed GITHUB_REPOSITORY",
			env:     map[string]string{"GITHUB_REPOSITORY": "just-a-name"},
			wantErr: `GITHUB_REPOSITORY "just-a-name"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev, err := LoadEvent(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *ev != tt.want {
				t.Errorf("event = %+v, want %+v", *ev, tt.want)
			}
		})
	}
}

func TestShouldComment(t *testing.T) {
	t.Parallel()
	pr := &Event{Name: "pull_request", PRNumber: 3, Owner: "o", Repo: "r"}
	prt := &Event{Name: "pull_request_target", PRNumber: 3, Owner: "o", Repo: "r"}
	// A PR number on a non-PR event: e.g. a caller that filled it in itself.
	other := &Event{Name: "workflow_run", PRNumber: 3, Owner: "o", Repo: "r"}
	push := &Event{Name: "push", Owner: "o", Repo: "r"}
	tests := []struct {
		name string
		mode string
		ev   *Event
		want bool
	}{
		{"auto on pull_request", "auto", pr, true},
		{"auto on pull_request_target", "auto", prt, true},
		{"empty mode is auto", "", pr, true},
		{"auto on another event with a PR number", "auto", other, false},
		{"auto on push", "auto", push, false},
		{"always with a PR number", "always", other, true},
		{"always on push has nothing to comment on", "always", push, false},
		{"never", "never", pr, false},
		{"unknown mode", "sometimes", pr, false},
		{"nil event", "always", nil, false},
		{"mode is case-insensitive", " Always ", pr, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ShouldComment(tt.mode, tt.ev); got != tt.want {
				t.Errorf("ShouldComment(%q, %+v) = %v, want %v", tt.mode, tt.ev, got, tt.want)
			}
		})
	}
}
