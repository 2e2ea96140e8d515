package emulator

import (
	"slices"
	"strconv"
	"strings"
)

// maxTriggerName is the timer trigger name limit (the SDK's CreateTrigger
// model: letters, digits, '-' and '_', up to 100 characters).
const maxTriggerName = 100

func (s *Server) scfCreateTrigger(tr *tcReq) (any, *tcError) {
	fields := tr.rq.fields
	t, err := parseTrigger(fields)
	if err != nil {
		return nil, err
	}
	if err := checkQualifier(fields); err != nil {
		return nil, err
	}
	t.AddTime, t.ModTime = tr.now, tr.now
	var out struct{ TriggerInfo scfTrigger }
	err = s.withFunction(tr, func(f *function) *tcError {
		if f.busy(tr.now, s.opts.StatusDelay) {
			return tcErrDetail(tcBusyTrigger, "%s is %s", f.Name, f.status(tr.now, s.opts.StatusDelay))
		}
		if slices.ContainsFunc(f.Triggers, func(x Trigger) bool { return x.Name == t.Name }) {
			return tcErrDetail(tcTriggerInUse, "%q on %s", t.Name, f.Name)
		}
		f.Triggers = append(f.Triggers, t)
		out.TriggerInfo = (&function{Function: Function{Triggers: []Trigger{t}}}).vendorTriggers()[0]
		return nil
	})
	return out, err
}

// parseTrigger reads a CreateTrigger call: a timer with a 7-field cron
// expression (second minute hour day month weekday year) as TriggerDesc.
func parseTrigger(fields map[string]any) (Trigger, *tcError) {
	t := Trigger{
		Name: strField(fields, "TriggerName"), Type: strField(fields, "Type"), Enable: true,
		Cron: strField(fields, "TriggerDesc"), CustomArgument: strField(fields, "CustomArgument"),
		Description: strField(fields, "Description"),
	}
	switch e := strField(fields, "Enable"); e {
	case "", "OPEN":
	case "CLOSE":
		t.Enable = false
	default:
		return t, tcErrDetail(tcBadEnable, "Enable %q; it is OPEN or CLOSE", e)
	}
	if t.Type != "timer" {
		return t, tcErrDetail(tcBadType, "the emulator serves timer triggers only, not %q", t.Type)
	}
	if !validTriggerName(t.Name) {
		return t, tcErrDetail(tcBadTriggerName, "%q: letters, digits, '-' and '_', up to %d characters", t.Name, maxTriggerName)
	}
	if err := checkCron(t.Cron); err != "" {
		return t, tcErrDetail(tcBadTriggerDesc, "cron %q: %s", t.Cron, err)
	}
	return t, nil
}

func validTriggerName(n string) bool {
	if n == "" || len(n) > maxTriggerName {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !isLetter(c) && !(c >= '0' && c <= '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// cronFields are the ranges of the seven fields of a timer's cron
// expression, as SCF documents them.
var cronFields = []struct {
	name     string
	min, max int
}{
	{"second", 0, 59}, {"minute", 0, 59}, {"hour", 0, 23}, {"day", 1, 31},
	{"month", 1, 12}, {"weekday", 0, 7}, {"year", 1970, 2099},
}

// checkCron says what is wrong with a timer's cron expression ("" when
// nothing): exactly seven fields, each of *, ?, numbers in range, ranges
// (a-b), lists (a,b) and steps (*/n, a/n), or month and day names.
func checkCron(expr string) string {
	parts := strings.Fields(expr)
	if len(parts) != len(cronFields) {
		return "it has " + strconv.Itoa(len(parts)) + " fields, a timer takes 7 (second minute hour day month weekday year)"
	}
	for i, p := range parts {
		if !cronFieldOK(p, cronFields[i].min, cronFields[i].max) {
			return "field " + strconv.Itoa(i+1) + " (" + cronFields[i].name + ") " + strconv.Quote(p) + " is not valid"
		}
	}
	return ""
}

func cronFieldOK(p string, lo, hi int) bool {
	for _, item := range strings.Split(p, ",") {
		base, step, stepped := strings.Cut(item, "/")
		if stepped && !numberIn(step, 1, hi) {
			return false
		}
		if !cronBaseOK(base, lo, hi) {
			return false
		}
	}
	return true
}

func cronBaseOK(base string, lo, hi int) bool {
	if base == "*" || base == "?" {
		return true
	}
	if isName(base) {
		return true
	}
	a, b, isRange := strings.Cut(base, "-")
	if isRange {
		return (numberIn(a, lo, hi) || isName(a)) && (numberIn(b, lo, hi) || isName(b))
	}
	return numberIn(base, lo, hi)
}

// isName accepts month and weekday names (JAN, MON...).
func isName(s string) bool {
	if len(s) != 3 {
		return false
	}
	return strings.Contains("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC SUN MON TUE WED THU FRI SAT", strings.ToUpper(s))
}

func numberIn(s string, lo, hi int) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= lo && n <= hi && !strings.HasPrefix(s, "+")
}

func (s *Server) scfDeleteTrigger(tr *tcReq) (any, *tcError) {
	fields := tr.rq.fields
	if err := checkQualifier(fields); err != nil {
		return nil, err
	}
	name, typ := strField(fields, "TriggerName"), strField(fields, "Type")
	return empty{}, s.withFunction(tr, func(f *function) *tcError {
		i := slices.IndexFunc(f.Triggers, func(x Trigger) bool { return x.Name == name && x.Type == typ })
		if i < 0 {
			return tcErrDetail(tcTriggerNotFound, "no %s trigger %q on %s", typ, name, f.Name)
		}
		f.Triggers = slices.Delete(slices.Clone(f.Triggers), i, i+1)
		return nil
	})
}

// scfTriggerInfo is one row of ListTriggers (the SDK's TriggerInfo).
type scfTriggerInfo struct {
	Enable                                        int
	Qualifier, TriggerName, Type, TriggerDesc     string
	AvailableStatus, CustomArgument               string
	AddTime, ModTime, ResourceId, BindStatus      string
	TriggerAttribute, Description, BoundResources string
}

func (s *Server) scfListTriggers(tr *tcReq) (any, *tcError) {
	fields := tr.rq.fields
	p, err := readPage(fields)
	if err != nil {
		return nil, err
	}
	if err := firstTCErr(oneOf(fields, "Order", "ASC", "DESC"), oneOf(fields, "OrderBy", "add_time", "mod_time")); err != nil {
		return nil, err
	}
	var rows []scfTrigger
	err = s.withFunction(tr, func(f *function) *tcError {
		rows = f.vendorTriggers()
		return nil
	})
	if err != nil {
		return nil, err
	}
	if strField(fields, "Order") == "DESC" {
		slices.Reverse(rows)
	}
	out := struct {
		TotalCount int
		Triggers   []scfTriggerInfo
	}{TotalCount: len(rows), Triggers: []scfTriggerInfo{}}
	if p.offset < len(rows) {
		rows = rows[p.offset:min(len(rows), p.offset+p.limit)]
	} else {
		rows = nil
	}
	for _, t := range rows {
		out.Triggers = append(out.Triggers, scfTriggerInfo{
			Enable: t.Enable, Qualifier: t.Qualifier, TriggerName: t.TriggerName, Type: t.Type,
			TriggerDesc: t.TriggerDesc, AvailableStatus: t.AvailableStatus, CustomArgument: t.CustomArgument,
			AddTime: t.AddTime, ModTime: t.ModTime, BindStatus: t.BindStatus, Description: t.Description,
		})
	}
	return out, nil
}
