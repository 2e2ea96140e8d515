package tencentcloud

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
)

// managedMarker is the Description of every trigger this tool creates: how
// a later run tells its own triggers (which it may replace and delete) from
// the ones someone else made (which it leaves alone unless told to prune).
const managedMarker = "managed by wxcloud-deploy"

// maxTriggerPages bounds ListTriggers paging (100 a page).
const (
	triggerPage     = 100
	maxTriggerPages = 20
)

// Configure implements backend.Configurer. It reads GetFunction, sends
// UpdateFunctionConfiguration only when a managed setting differs (an
// unchanged redeploy writes nothing), waits for Active again, then
// reconciles timer triggers. Lines never show an env var's value (values
// may be secrets). With dryRun it returns the lines and writes nothing; for
// a function that does not exist yet the lines say what the create sets.
func (b *Backend) Configure(ctx context.Context, fn, env string, want backend.Settings, dryRun bool) ([]string, error) {
	timers, err := parseTimers(want.Triggers)
	if err != nil {
		return nil, &Error{Action: "Configure", Function: fn, Env: env, K: backend.KindOther, Message: err.Error(), Hint: "fix the triggers in the function's config.json", r: b.r}
	}
	cur, ok := b.recentFunction(fn, env)
	if !ok {
		cur, err = b.getFunction(ctx, fn, env)
	}
	if isNotFound(err) && dryRun {
		return b.createLines(want, timers), nil
	}
	if err != nil {
		return nil, err
	}
	d := diffSettings(fn, env, cur, want)
	if d.handlerLine != "" && !dryRun {
		return nil, &Error{Action: "Configure", Function: fn, Env: env, K: backend.KindOther,
			Message: fmt.Sprintf("handler: the function runs %q, the settings want %q", cur.Handler, want.Handler),
			Hint:    "SCF changes the handler only together with code (UpdateFunctionCode): deploy the code again (skip-unchanged: false)", r: b.r}
	}
	lines := d.lines
	if d.handlerLine != "" {
		lines = append(lines, d.handlerLine)
	}
	if d.changed && !dryRun {
		c := scfCall("UpdateFunctionConfiguration", fn, env, true, mustParams(d.req))
		if err := b.writeWhenSettled(ctx, c, &emptyResponse{}); err != nil {
			return nil, err
		}
		if err := b.WaitReady(ctx, fn, env, backend.Zip{}); err != nil {
			return lines, err
		}
	}
	tl, err := b.reconcileTriggers(ctx, cur, fn, env, timers, want.PruneTriggers, dryRun)
	return append(lines, tl...), err
}

// settingsDiff is what UpdateFunctionConfiguration would change.
type settingsDiff struct {
	req     updateFunctionConfigurationRequest
	lines   []string
	changed bool
	// handlerLine is set when the handler differs: it travels with code.
	handlerLine string
}

func diffSettings(fn, env string, cur *getFunctionResponse, want backend.Settings) settingsDiff {
	d := settingsDiff{req: updateFunctionConfigurationRequest{functionRef: functionRef{fn, env}}}
	d.diffInt(cur.Timeout, want.Timeout, "timeout %s -> %s", "%ds", &d.req.Timeout)
	d.diffInt(cur.MemorySize, want.MemorySize, "memory %s -> %s", "%d MB", &d.req.MemorySize)
	if want.Runtime != "" && want.Runtime != cur.Runtime {
		d.req.Runtime = want.Runtime
		d.add(fmt.Sprintf("runtime %s -> %s", orUnknown(cur.Runtime), want.Runtime))
	}
	if want.EnvVars != nil {
		if line := envLine(varsOf(cur.Environment), want.EnvVars); line != "" {
			d.req.Environment = envOf(want.EnvVars)
			d.add(line)
		}
	}
	// InstallDependency goes with every configuration update, as
	// manager-node sends it: the API documents FALSE as its default, and
	// an update without it could switch the cloud install off.
	d.req.InstallDependency = cur.InstallDependency
	if want.InstallDependency != nil {
		if v := boolFlag(*want.InstallDependency); v != cur.InstallDependency {
			d.add(fmt.Sprintf("install dependency %s -> %s", orUnknown(cur.InstallDependency), v))
			d.req.InstallDependency = v
		}
	}
	if want.Handler != "" && want.Handler != cur.Handler {
		d.handlerLine = fmt.Sprintf("handler %s -> %s (sent with the code)", orUnknown(cur.Handler), want.Handler)
	}
	return d
}

func (d *settingsDiff) add(line string) {
	d.lines = append(d.lines, line)
	d.changed = true
}

func (d *settingsDiff) diffInt(cur, want *int, line, unit string, field **int) {
	if want == nil || (cur != nil && *cur == *want) {
		return
	}
	*field = want
	from := "(unset)"
	if cur != nil {
		from = fmt.Sprintf(unit, *cur)
	}
	d.add(fmt.Sprintf(line, from, fmt.Sprintf(unit, *want)))
}

func orUnknown(s string) string {
	if s == "" {
		return "(unset)"
	}
	return s
}

func varsOf(e *environment) map[string]string {
	m := map[string]string{}
	if e != nil {
		for _, v := range e.Variables {
			m[v.Key] = v.Value
		}
	}
	return m
}

// envLine names the variables set (new or changed) and removed, never their
// values; "" when the sets are equal.
func envLine(cur, want map[string]string) string {
	if maps.Equal(cur, want) {
		return ""
	}
	var set, removed []string
	for _, k := range sortedKeys(want) {
		if v, ok := cur[k]; !ok || v != want[k] {
			set = append(set, k)
		}
	}
	for _, k := range sortedKeys(cur) {
		if _, ok := want[k]; !ok {
			removed = append(removed, k)
		}
	}
	var parts []string
	if len(set) > 0 {
		parts = append(parts, "set "+strings.Join(set, ", "))
	}
	if len(removed) > 0 {
		parts = append(parts, "removed "+strings.Join(removed, ", "))
	}
	return "env vars: " + strings.Join(parts, ", ")
}

// createLines is the dry-run plan for a function that does not exist yet:
// what CreateFunction and the triggers after it would set.
func (b *Backend) createLines(want backend.Settings, timers []timer) []string {
	const suffix = " (new function)"
	var lines []string
	if want.Timeout != nil {
		lines = append(lines, fmt.Sprintf("timeout %ds", *want.Timeout)+suffix)
	}
	if want.MemorySize != nil {
		lines = append(lines, fmt.Sprintf("memory %d MB", *want.MemorySize)+suffix)
	}
	if len(want.EnvVars) > 0 {
		lines = append(lines, "env vars: set "+strings.Join(sortedKeys(want.EnvVars), ", ")+suffix)
	}
	lines = append(lines, "runtime "+b.runtime(&want)+suffix, "handler "+b.handler(&want)+suffix)
	for _, t := range timers {
		lines = append(lines, fmt.Sprintf("trigger %s created (%s)", t.name, t.cron))
	}
	return lines
}

// timer is a wanted timer trigger with its cron normalised.
type timer struct{ name, cron string }

func parseTimers(ts []backend.Trigger) ([]timer, error) {
	seen := map[string]bool{}
	out := make([]timer, 0, len(ts))
	for _, t := range ts {
		if t.Name == "" {
			return nil, fmt.Errorf("a trigger has no name")
		}
		if !strings.EqualFold(t.Type, "timer") {
			return nil, fmt.Errorf("trigger %q: type %q is not supported (only timer, as in WeChat's config.json)", t.Name, t.Type)
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("trigger %q is listed twice", t.Name)
		}
		seen[t.Name] = true
		cron, ok := parseCron(t.Config)
		if !ok {
			return nil, fmt.Errorf("trigger %q: cron %q must have seven fields (second minute hour day month weekday year)", t.Name, t.Config)
		}
		out = append(out, timer{t.Name, cron})
	}
	return out, nil
}

// parseCron reads a timer's TriggerDesc: the bare seven-field cron, or the
// JSON {"cron":"..."} it reads back as. Fields are joined by one space, so
// spacing never counts as a change.
func parseCron(desc string) (string, bool) {
	desc = strings.TrimSpace(desc)
	if strings.HasPrefix(desc, "{") {
		var v struct {
			Cron string `json:"cron"`
		}
		if json.Unmarshal([]byte(desc), &v) != nil {
			return "", false
		}
		desc = v.Cron
	}
	f := strings.Fields(desc)
	if len(f) != 7 {
		return "", false
	}
	return strings.Join(f, " "), true
}

func isManaged(t trigger) bool { return strings.TrimSpace(t.Description) == managedMarker }

// triggerOp is one write of a reconcile: a delete, or a create; line is
// what it reports ("" for the delete half of a replace).
type triggerOp struct {
	create bool
	t      trigger
	line   string
}

// planTriggers compares by name and parsed cron. Triggers this tool made
// that are no longer wanted are deleted; others only with prune. A wanted
// name held by a trigger someone else made with another cron is a conflict
// unless prune allows replacing it.
func planTriggers(cur []trigger, want []timer, prune bool) ([]triggerOp, error) {
	wanted := map[string]timer{}
	for _, t := range want {
		wanted[t.name] = t
	}
	existing := map[string]bool{}
	var dels, creates []triggerOp
	for _, c := range cur {
		w, ok := wanted[c.TriggerName]
		if !ok {
			if isManaged(c) || prune {
				dels = append(dels, triggerOp{t: c, line: deleteLine(c)})
			}
			continue
		}
		existing[c.TriggerName] = true
		old, _ := parseCron(c.TriggerDesc)
		if strings.EqualFold(c.Type, "timer") && old == w.cron {
			continue
		}
		if !isManaged(c) && !prune {
			return nil, fmt.Errorf("trigger %q exists (%s %s) but was not created by wxcloud-deploy: delete it, rename the trigger in config.json, or set prune-triggers: true", c.TriggerName, c.Type, orUnknown(c.TriggerDesc))
		}
		dels = append(dels, triggerOp{t: c})
		creates = append(creates, triggerOp{create: true, t: newTimer(w), line: fmt.Sprintf("trigger %s replaced (%s -> %s)", w.name, orUnknown(old), w.cron)})
	}
	for _, w := range want {
		if !existing[w.name] {
			creates = append(creates, triggerOp{create: true, t: newTimer(w), line: fmt.Sprintf("trigger %s created (%s)", w.name, w.cron)})
		}
	}
	// Deletes first: a replaced trigger's name must be free again.
	return append(dels, creates...), nil
}

func deleteLine(t trigger) string {
	if isManaged(t) {
		return fmt.Sprintf("trigger %s deleted", t.TriggerName)
	}
	return fmt.Sprintf("trigger %s deleted (%s, not created by wxcloud-deploy; prune-triggers)", t.TriggerName, t.Type)
}

func newTimer(w timer) trigger {
	return trigger{TriggerName: w.name, Type: "timer", TriggerDesc: w.cron, Description: managedMarker}
}

// reconcileTriggers plans and, unless dryRun, applies the trigger changes,
// returning a line for each change made (or planned).
func (b *Backend) reconcileTriggers(ctx context.Context, cur *getFunctionResponse, fn, env string, want []timer, prune, dryRun bool) ([]string, error) {
	if len(want) == 0 && !prune && cur.Triggers != nil && len(cur.Triggers) == 0 {
		// The function says it has no triggers: nothing to create, delete
		// or list.
		return nil, nil
	}
	existing, err := b.listTriggers(ctx, cur, fn, env)
	if err != nil {
		return nil, err
	}
	ops, err := planTriggers(existing, want, prune)
	if err != nil {
		return nil, &Error{Action: "Configure", Function: fn, Env: env, K: backend.KindOther, Message: err.Error(), r: b.r}
	}
	var lines []string
	for _, op := range ops {
		if !dryRun {
			if err := b.applyTrigger(ctx, fn, env, op); err != nil {
				return lines, err
			}
		}
		if op.line != "" {
			lines = append(lines, op.line)
		}
	}
	return lines, nil
}

func (b *Backend) applyTrigger(ctx context.Context, fn, env string, op triggerOp) error {
	ref := functionRef{fn, env}
	if op.create {
		p := mustParams(createTriggerRequest{functionRef: ref, TriggerName: op.t.TriggerName, Type: op.t.Type, TriggerDesc: op.t.TriggerDesc, Enable: "OPEN", Description: op.t.Description})
		return b.writeWhenSettled(ctx, scfCall("CreateTrigger", fn, env, true, p), &emptyResponse{})
	}
	r := deleteTriggerRequest{functionRef: ref, TriggerName: op.t.TriggerName, Type: op.t.Type, Qualifier: op.t.Qualifier}
	if !strings.EqualFold(op.t.Type, "timer") {
		// COS triggers are deleted by their event description.
		r.TriggerDesc = op.t.TriggerDesc
	}
	err := b.writeWhenSettled(ctx, scfCall("DeleteTrigger", fn, env, true, mustParams(r)), &emptyResponse{})
	if c := codeOf(err); c == "ResourceNotFound.Trigger" || c == "ResourceNotFound.Timer" {
		return nil // already gone
	}
	return err
}

// listTriggers reads every trigger with ListTriggers (which documents the
// Description the marker lives in). A server without ListTriggers (an older
// emulator) gets GetFunction's list instead.
func (b *Backend) listTriggers(ctx context.Context, cur *getFunctionResponse, fn, env string) ([]trigger, error) {
	var all []trigger
	for page := 0; page < maxTriggerPages; page++ {
		var out listTriggersResponse
		p := mustParams(listTriggersRequest{functionRef: functionRef{fn, env}, Offset: len(all), Limit: triggerPage})
		err := b.do(ctx, scfCall("ListTriggers", fn, env, false, p), &out)
		if c := codeOf(err); c == "InvalidAction" || strings.HasPrefix(c, "UnsupportedOperation") {
			b.log("ListTriggers%s: %s; using GetFunction's trigger list", about(fn, env), c)
			return cur.Triggers, nil
		}
		if err != nil {
			return nil, err
		}
		all = append(all, out.Triggers...)
		if len(out.Triggers) == 0 || len(all) >= out.TotalCount {
			break
		}
	}
	return all, nil
}
