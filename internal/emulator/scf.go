package emulator

import (
	"archive/zip"
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Code size limits (the SDK's models and API-NOTES-TENCENTCLOUD.md §1.3):
// Code.ZipFile takes a zip of up to 50 MB, UpdateFunctionCode's top-level
// ZipFile one of up to 20 MB. Read as MiB of zip, not of base64.
const (
	maxCodeZip     = 50 << 20
	maxTopLevelZip = 20 << 20
)

// knownRuntimes are the runtimes CreateFunction takes: the SDK's list and
// the Node versions CloudBase offers, without the retired ones (Nodejs6.10,
// Nodejs8.9, Python2.7) the vendor no longer creates.
var knownRuntimes = map[string]bool{
	"Nodejs10.15": true, "Nodejs12.16": true, "Nodejs14.18": true, "Nodejs16.13": true,
	"Nodejs18.15": true, "Nodejs20.19": true, "Python3.6": true, "Python3.7": true,
	"Python3.9": true, "Python3.10": true, "Php7.2": true, "Php7.4": true, "Php8.0": true,
	"Go1": true, "Java8": true, "Java11": true, "CustomRuntime": true,
}

// cst is the vendor's time zone for AddTime/ModTime ("2006-01-02 15:04:05").
var cst = time.FixedZone("CST", 8*3600)

func vendorTime(t time.Time) string { return t.In(cst).Format(time.DateTime) }

// settingChecks validate the settings CreateFunction and
// UpdateFunctionConfiguration share, in this order: one small check per
// setting, so the list reads like the vendor's rules.
var settingChecks = []func(map[string]any) *tcError{
	checkRuntime, checkHandler, checkTimeout, checkMemory, checkEnvironment,
	checkInstallDependency, checkDescription, checkType, checkPublish,
}

func checkSettings(f map[string]any) *tcError {
	for _, c := range settingChecks {
		if err := c(f); err != nil {
			return err
		}
	}
	return nil
}

func checkRuntime(f map[string]any) *tcError {
	if r := strField(f, "Runtime"); r != "" && !knownRuntimes[r] {
		return tcErrDetail(tcBadRuntime, "unknown runtime %q", r)
	}
	return nil
}

// checkHandler is the models' rule: "file.function", each part starting and
// ending with a letter, with letters, digits, '_' and '-' between, 2-60
// characters.
func checkHandler(f map[string]any) *tcError {
	h := strField(f, "Handler")
	if h == "" {
		return nil
	}
	file, fn, ok := strings.Cut(h, ".")
	if !ok || len(h) < 2 || len(h) > 60 || !handlerPart(file) || !handlerPart(fn) {
		return tcErrDetail(tcBadHandler, "%q is not file.function", h)
	}
	return nil
}

func handlerPart(p string) bool {
	if p == "" || !isLetter(p[0]) || !isLetter(p[len(p)-1]) {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !isLetter(c) && !(c >= '0' && c <= '9') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func checkTimeout(f map[string]any) *tcError {
	t, ok := intField(f, "Timeout")
	switch {
	case !ok:
	case t > 900:
		return tcErrDetail(tcTimeoutLimit, "Timeout %d s; the limit is 900", t)
	case t < 1:
		return tcErrDetail(tcBadTimeout, "Timeout %d s; it takes 1 to 900", t)
	}
	return nil
}

func checkMemory(f map[string]any) *tcError {
	m, ok := intField(f, "MemorySize")
	switch {
	case !ok:
	case m > 3072:
		return tcErrDetail(tcMemoryLimit, "MemorySize %d MB; the limit is 3072", m)
	case m != 64 && (m < 128 || m%128 != 0):
		return tcErrDetail(tcBadMemory, "MemorySize %d MB", m)
	}
	return nil
}

// maxEnvironmentBytes bounds a function's variables: "4 KB", counted here as
// the bytes of every key and value.
const maxEnvironmentBytes = 4096

func checkEnvironment(f map[string]any) *tcError {
	vars, given := environmentOf(f)
	if !given {
		return nil
	}
	seen := map[string]bool{}
	size := 0
	for _, v := range vars {
		if !validEnvKey(v.Key) || seen[v.Key] {
			return tcErrDetail(tcBadEnvironment, "variable name %q is empty, repeated or not [A-Za-z_][A-Za-z0-9_]*", v.Key)
		}
		seen[v.Key] = true
		size += len(v.Key) + len(v.Value)
	}
	if size > maxEnvironmentBytes {
		return tcErrDetail(tcEnvironmentLimit, "%d bytes of names and values", size)
	}
	return nil
}

func validEnvKey(k string) bool {
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !isLetter(c) && c != '_' && !(i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return k != ""
}

// environmentOf reads Environment.Variables (already type-checked).
func environmentOf(f map[string]any) ([]Variable, bool) {
	env, ok := objField(f, "Environment")
	if !ok {
		return nil, false
	}
	list, _ := env["Variables"].([]any)
	vars := make([]Variable, 0, len(list))
	for _, e := range list {
		m, _ := e.(map[string]any)
		vars = append(vars, Variable{strField(m, "Key"), strField(m, "Value")})
	}
	return vars, true
}

func checkInstallDependency(f map[string]any) *tcError {
	return oneOf(f, "InstallDependency", "TRUE", "FALSE")
}

func checkDescription(f map[string]any) *tcError {
	if d := strField(f, "Description"); len([]rune(d)) > 1000 {
		return tcErrDetail(tcBadDescription, "%d characters; the limit is 1000", len([]rune(d)))
	}
	return nil
}

func checkType(f map[string]any) *tcError {
	if t := strField(f, "Type"); t != "" && t != "Event" && t != "HTTP" {
		return tcErrDetail(tcBadType, "Type %q; it is Event or HTTP", t)
	}
	return nil
}

// checkPublish refuses publishing a version: the emulator keeps $LATEST only.
func checkPublish(f map[string]any) *tcError {
	if strField(f, "Publish") == "TRUE" {
		return tcErrDetail(tcUnsupportedOperation, "the emulator does not publish versions (Publish TRUE)")
	}
	return oneOf(f, "Publish", "TRUE", "FALSE")
}

func oneOf(f map[string]any, name string, values ...string) *tcError {
	if v := strField(f, name); v != "" && !slices.Contains(values, v) {
		e := tcErr(tcInvalidValue, name)
		e.Message += fmt.Sprintf(" (%q; it is one of %s)", v, strings.Join(values, ", "))
		return e
	}
	return nil
}

// checkQualifier accepts $LATEST only: the emulator publishes no versions.
func checkQualifier(f map[string]any) *tcError {
	if q := strField(f, "Qualifier"); q != "" && q != "$LATEST" {
		return tcErrDetail(tcBadQualifier, "Qualifier %q; the emulator has $LATEST only", q)
	}
	return nil
}

// checkCodeSource accepts the one source the emulator has: inline zips.
func checkCodeSource(f map[string]any) *tcError {
	if c := strField(f, "CodeSource"); c != "" && c != "ZipFile" {
		return tcErrDetail(tcUnsupportedOperation, "the emulator takes code only as a base64 zip (CodeSource %q)", c)
	}
	return nil
}

// decodeCodeZip decodes a ZipFile field: standard base64 of a zip archive of
// at most limit bytes. The size is known from the base64 length, so an
// oversized upload is refused before it is decoded.
func decodeCodeZip(b64, name string, limit int) ([]byte, *tcError) {
	if n := base64.StdEncoding.DecodedLen(len(b64)) - strings.Count(b64[max(0, len(b64)-2):], "="); n > limit {
		return nil, tcErrDetail(tcBadZip, "%s holds a %d-byte zip; it takes up to %d MB", name, n, limit>>20)
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, tcErrDetail(tcBadBase64, "%s: %v", name, err)
	}
	if _, err := zip.NewReader(bytes.NewReader(b), int64(len(b))); err != nil {
		return nil, tcErrDetail(tcBadZip, "%s: %v", name, err)
	}
	return b, nil
}

// installFailure is the outcome of installing dependencies (InstallDependency
// TRUE): the emulator installs nothing, but a package.json at the zip root
// that npm could not read fails the install, as it would in the cloud.
func installFailure(code []byte) *StatusReason {
	zr, err := zip.NewReader(bytes.NewReader(code), int64(len(code)))
	if err != nil {
		return nil
	}
	for _, f := range zr.File {
		if f.Name != "package.json" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return &StatusReason{installErrorCode, "package.json at the zip root cannot be read: " + err.Error()}
		}
		data, err := io.ReadAll(io.LimitReader(rc, 1<<20))
		rc.Close()
		var obj map[string]any
		if err == nil {
			err = json.Unmarshal(data, &obj)
		}
		if err != nil {
			return &StatusReason{installErrorCode, "npm install failed: package.json at the zip root is not a JSON object: " + err.Error()}
		}
	}
	return nil
}

// installErrorCode is the StatusReasons ErrorCode of a failed dependency
// install (an assumption: the vendor's code is not documented).
const installErrorCode = "InstallDependencyFailed"

// namespace resolves the call's Namespace: an env of this emulator in the
// emulator's region. A call without Namespace means the vendor's "default",
// which no CloudBase env is.
func (s *Server) namespace(tr *tcReq) (string, *tcError) {
	ns := strField(tr.rq.fields, "Namespace")
	switch {
	case tr.region != s.opts.Region:
		return "", tcErrDetail(tcNamespaceNotFound, "every env of this emulator is in %s, the call went to %s", s.opts.Region, tr.region)
	case ns == "":
		return "", tcErrDetail(tcNamespaceNotFound, "no Namespace: the vendor then means \"default\"; a CloudBase function's namespace is its env ID")
	case ns == "default" && s.envs == nil, !s.hasCloudDev(ns):
		return "", tcErrDetail(tcNamespaceNotFound, "%q is not an env of this emulator", ns)
	}
	return ns, nil
}

// withFunction runs fn on the function the call names, holding the lock;
// ResourceNotFound.Function when it does not exist.
func (s *Server) withFunction(tr *tcReq, fn func(f *function) *tcError) *tcError {
	ns, err := s.namespace(tr)
	if err != nil {
		return err
	}
	name := strField(tr.rq.fields, "FunctionName")
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.funcs[fnKey{ns, name}]
	if f == nil {
		return tcErrDetail(tcFunctionNotFound, "no function %q in %s", name, ns)
	}
	return fn(f)
}

// empty is the answer of actions that return only a RequestId.
type empty struct{}

func (s *Server) scfCreateFunction(tr *tcReq) (any, *tcError) {
	fields := tr.rq.fields
	name := strField(fields, "FunctionName")
	if err := validFunctionName(name); err != nil {
		return nil, tcErrDetail(tcBadFunctionName, "%q %v", name, err)
	}
	if err := firstTCErr(checkSettings(fields), checkCodeSource(fields)); err != nil {
		return nil, err
	}
	codeObj, _ := objField(fields, "Code")
	b64 := strField(codeObj, "ZipFile")
	if b64 == "" {
		return nil, tcErrDetail(tcMissingCode, "Code.ZipFile is empty")
	}
	code, err := decodeCodeZip(b64, "Code.ZipFile", maxCodeZip)
	if err != nil {
		return nil, err
	}
	ns, err := s.namespace(tr)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.funcs[fnKey{ns, name}] != nil {
		return nil, tcErrDetail(tcFunctionInUse, "%q in %s", name, ns)
	}
	f := &function{Function: Function{
		Env: ns, Name: name, Handler: "index.main_handler", Timeout: 3, MemorySize: 128,
		InstallDependency: "FALSE", AddTime: tr.now,
	}, typ: "Event"}
	f.apply(fields)
	f.setCode(code, tr.now)
	f.begin("Creating", tr.now, "Active", nil)
	if f.InstallDependency == "TRUE" {
		if reason := installFailure(code); reason != nil {
			f.begin("Creating", tr.now, "CreateFailed", reason)
		}
	}
	s.put(f)
	return empty{}, nil
}

// apply stores the settings given in fields (already validated).
func (f *function) apply(fields map[string]any) {
	for name, dst := range map[string]*string{
		"Runtime": &f.Runtime, "Handler": &f.Handler, "Description": &f.Description,
		"Role": &f.Role, "InstallDependency": &f.InstallDependency, "Type": &f.typ,
	} {
		if v := strField(fields, name); v != "" {
			*dst = v
		}
	}
	if t, ok := intField(fields, "Timeout"); ok {
		f.Timeout = int(t)
	}
	if m, ok := intField(fields, "MemorySize"); ok {
		f.MemorySize = int(m)
	}
	if vars, ok := environmentOf(fields); ok {
		f.Environment = vars
	}
	if vpc, ok := objField(fields, "VpcConfig"); ok {
		f.VPCID, f.SubnetID = strField(vpc, "VpcId"), strField(vpc, "SubnetId")
	}
}

func (s *Server) scfUpdateCode(tr *tcReq) (any, *tcError) {
	fields := tr.rq.fields
	if err := firstTCErr(checkHandler(fields), checkInstallDependency(fields), checkPublish(fields), checkCodeSource(fields)); err != nil {
		return nil, err
	}
	code, err := updateCodeZip(fields)
	if err != nil {
		return nil, err
	}
	return empty{}, s.withFunction(tr, func(f *function) *tcError {
		if f.busy(tr.now, s.opts.StatusDelay) {
			return tcErrDetail(tcBusyCode, "%s is %s", f.Name, f.status(tr.now, s.opts.StatusDelay))
		}
		f.apply(map[string]any{"Handler": fields["Handler"], "InstallDependency": fields["InstallDependency"]})
		f.setCode(code, tr.now)
		f.Batch = false
		f.startUpdate(tr.now)
		return nil
	})
}

// updateCodeZip reads the code of UpdateFunctionCode: the top-level ZipFile
// (20 MB, what manager-node sends) or Code.ZipFile (50 MB), not both.
func updateCodeZip(fields map[string]any) ([]byte, *tcError) {
	top := strField(fields, "ZipFile")
	codeObj, _ := objField(fields, "Code")
	nested := strField(codeObj, "ZipFile")
	switch {
	case top != "" && nested != "":
		return nil, tcErrDetail(tcBadCode, "give ZipFile or Code.ZipFile, not both")
	case top != "":
		return decodeCodeZip(top, "ZipFile", maxTopLevelZip)
	case nested != "":
		return decodeCodeZip(nested, "Code.ZipFile", maxCodeZip)
	}
	return nil, tcErr(tcMissingParameter, "ZipFile")
}

// startUpdate begins Updating; it ends in UpdateFailed when the dependency
// install would fail.
func (f *function) startUpdate(now time.Time) {
	var reason *StatusReason
	if f.InstallDependency == "TRUE" {
		reason = installFailure(f.Zip)
	}
	settled := "Active"
	if reason != nil {
		settled = "UpdateFailed"
	}
	f.begin("Updating", now, settled, reason)
}

func (s *Server) scfUpdateConfig(tr *tcReq) (any, *tcError) {
	fields := tr.rq.fields
	if err := checkSettings(fields); err != nil {
		return nil, err
	}
	return empty{}, s.withFunction(tr, func(f *function) *tcError {
		if f.busy(tr.now, s.opts.StatusDelay) {
			return tcErrDetail(tcBusyConfig, "%s is %s", f.Name, f.status(tr.now, s.opts.StatusDelay))
		}
		f.apply(fields)
		f.ModTime = tr.now
		f.startUpdate(tr.now)
		return nil
	})
}

func (s *Server) scfDeleteFunction(tr *tcReq) (any, *tcError) {
	if err := checkQualifier(tr.rq.fields); err != nil {
		return nil, err
	}
	return empty{}, s.withFunction(tr, func(f *function) *tcError {
		if f.busy(tr.now, s.opts.StatusDelay) {
			return tcErrDetail(tcBusyStatus, "%s is %s", f.Name, f.status(tr.now, s.opts.StatusDelay))
		}
		// Gone at once: the vendor's short Deleting state is not emulated.
		s.remove(f.Env, f.Name)
		return nil
	})
}

// The answers, with the SDK's field names.
type (
	scfVpc         struct{ VpcId, SubnetId string }
	scfEnvironment struct{ Variables []Variable }
	scfTrigger     struct {
		ModTime, Type, TriggerDesc, TriggerName, AddTime string
		Enable                                           int
		CustomArgument, AvailableStatus, ResourceId      string
		BindStatus, TriggerAttribute, Qualifier          string
		Description                                      string
	}
	scfFunctionDetail struct {
		ModTime, CodeInfo, Description        string
		Triggers                              []scfTrigger
		Handler                               string
		CodeSize                              int
		Timeout                               int
		FunctionVersion                       string
		MemorySize                            int
		Runtime, FunctionName                 string
		VpcConfig                             scfVpc
		UseGpu                                string
		Environment                           scfEnvironment
		CodeResult, CodeError                 string
		ErrNo                                 int
		Namespace, Role, InstallDependency    string
		Status, StatusDesc                    string
		ClsLogsetId, ClsTopicId, FunctionId   string
		Tags                                  []Variable
		Type, L5Enable, AddTime               string
		AvailableStatus, Qualifier            string
		InitTimeout                           int
		StatusReasons                         []StatusReason
		AsyncRunEnable, TraceEnable, DnsCache string
	}
)

func (s *Server) scfGetFunction(tr *tcReq) (any, *tcError) {
	if err := firstTCErr(checkQualifier(tr.rq.fields), oneOf(tr.rq.fields, "ShowCode", "TRUE", "FALSE")); err != nil {
		return nil, err
	}
	var out scfFunctionDetail
	err := s.withFunction(tr, func(f *function) *tcError {
		out = f.detail(tr.now, s.opts.StatusDelay)
		return nil
	})
	return out, err
}

func (f *function) detail(now time.Time, delay time.Duration) scfFunctionDetail {
	st := f.status(now, delay)
	d := scfFunctionDetail{
		ModTime: vendorTime(f.ModTime), AddTime: vendorTime(f.AddTime), Description: f.Description,
		Triggers: f.vendorTriggers(), Handler: f.Handler, CodeSize: len(f.Zip), Timeout: f.Timeout,
		FunctionVersion: "$LATEST", MemorySize: f.MemorySize, Runtime: f.Runtime, FunctionName: f.Name,
		VpcConfig: scfVpc{f.VPCID, f.SubnetID}, UseGpu: "FALSE",
		Environment: scfEnvironment{nonNil(f.Environment)}, CodeResult: "success",
		Namespace: f.Env, Role: f.Role, InstallDependency: f.InstallDependency, Status: st,
		FunctionId: "lam-" + sha256Hex([]byte(f.Env + "/" + f.Name))[:8], Tags: []Variable{},
		Type: cmp.Or(f.typ, "Event"), L5Enable: "FALSE", AvailableStatus: "Available",
		Qualifier: "$LATEST", InitTimeout: 65, StatusReasons: f.reasons(now, delay),
		AsyncRunEnable: "FALSE", TraceEnable: "FALSE", DnsCache: "FALSE",
	}
	if d.StatusReasons == nil {
		d.StatusReasons = []StatusReason{}
	} else {
		d.StatusDesc = d.StatusReasons[0].ErrorMessage
	}
	return d
}

// vendorTriggers is how triggers read back: a timer's TriggerDesc as JSON
// text {"cron":"…"} and Enable as 1/0 (API-NOTES-TENCENTCLOUD.md §5).
func (f *function) vendorTriggers() []scfTrigger {
	out := make([]scfTrigger, 0, len(f.Triggers))
	for _, t := range f.Triggers {
		desc, _ := json.Marshal(map[string]string{"cron": t.Cron})
		enable := 0
		if t.Enable {
			enable = 1
		}
		out = append(out, scfTrigger{
			ModTime: vendorTime(t.ModTime), Type: t.Type, TriggerDesc: string(desc), TriggerName: t.Name,
			AddTime: vendorTime(t.AddTime), Enable: enable, CustomArgument: t.CustomArgument,
			AvailableStatus: "Available", BindStatus: "on", Qualifier: "$LATEST", Description: t.Description,
		})
	}
	return out
}

func (s *Server) scfGetAddress(tr *tcReq) (any, *tcError) {
	if err := checkQualifier(tr.rq.fields); err != nil {
		return nil, err
	}
	var out struct{ Url, CodeSha256 string }
	err := s.withFunction(tr, func(f *function) *tcError {
		switch {
		case f.busy(tr.now, s.opts.StatusDelay):
			return tcErrDetail(tcBusyStatus, "%s is %s", f.Name, f.status(tr.now, s.opts.StatusDelay))
		case len(f.Zip) == 0:
			return tcErrDetail(tcNoAddress, "%s has no code", f.Name)
		}
		out.Url = s.codeURL(tr.rq.r, f.Env, f.Name, f.Version)
		out.CodeSha256 = f.SHA256
		if s.opts.CodeSha256Base64 {
			raw := sha256.Sum256(f.Zip)
			out.CodeSha256 = base64.StdEncoding.EncodeToString(raw[:])
		}
		return nil
	})
	return out, err
}

// scfFunctionItem is one row of ListFunctions.
type scfFunctionItem struct {
	ModTime, AddTime, Runtime, FunctionName, FunctionId string
	Namespace, Status, StatusDesc, Description          string
	Tags                                                []Variable
	Type                                                string
	StatusReasons                                       []StatusReason
	AsyncRunEnable, TraceEnable                         string
}

func (s *Server) scfListFunctions(tr *tcReq) (any, *tcError) {
	fields := tr.rq.fields
	page, err := readPage(fields)
	if err != nil {
		return nil, err
	}
	if err := firstTCErr(oneOf(fields, "Order", "ASC", "DESC"), oneOf(fields, "Orderby", "AddTime", "ModTime", "FunctionName")); err != nil {
		return nil, err
	}
	ns, err := s.namespace(tr)
	if err != nil {
		return nil, err
	}
	// One env's functions only: the cost does not grow with the env count.
	var rows []scfFunctionDetail
	s.locked(func() {
		for _, f := range s.byEnv[ns] {
			if strings.Contains(f.Name, strField(fields, "SearchKey")) && strings.Contains(f.Description, strField(fields, "Description")) {
				rows = append(rows, f.detail(tr.now, s.opts.StatusDelay))
			}
		}
	})
	sortRows(rows, strField(fields, "Orderby"), strField(fields, "Order") == "DESC")
	out := struct {
		Functions  []scfFunctionItem
		TotalCount int
	}{Functions: []scfFunctionItem{}, TotalCount: len(rows)}
	for _, d := range page.of(rows) {
		out.Functions = append(out.Functions, scfFunctionItem{
			ModTime: d.ModTime, AddTime: d.AddTime, Runtime: d.Runtime, FunctionName: d.FunctionName,
			FunctionId: d.FunctionId, Namespace: d.Namespace, Status: d.Status, StatusDesc: d.StatusDesc,
			Description: d.Description, Tags: d.Tags, Type: d.Type, StatusReasons: d.StatusReasons,
			AsyncRunEnable: d.AsyncRunEnable, TraceEnable: d.TraceEnable,
		})
	}
	return out, nil
}

func sortRows(rows []scfFunctionDetail, by string, desc bool) {
	key := func(d scfFunctionDetail) string {
		switch by {
		case "FunctionName":
			return d.FunctionName
		case "ModTime":
			return d.ModTime + d.FunctionName
		}
		return d.AddTime + d.FunctionName
	}
	slices.SortFunc(rows, func(a, b scfFunctionDetail) int {
		if desc {
			a, b = b, a
		}
		return strings.Compare(key(a), key(b))
	})
}

// page is Offset/Limit: Limit defaults to 20 and stops at 100.
type page struct{ offset, limit int }

func readPage(fields map[string]any) (page, *tcError) {
	p := page{limit: 20}
	if o, ok := intField(fields, "Offset"); ok {
		if o < 0 {
			return p, tcErrDetail(tcBadOffset, "Offset %d", o)
		}
		p.offset = int(o)
	}
	if l, ok := intField(fields, "Limit"); ok {
		if l < 0 || l > 100 {
			return p, tcErrDetail(tcBadLimit, "Limit %d; it takes 0 to 100", l)
		}
		if l > 0 {
			p.limit = int(l)
		}
	}
	return p, nil
}

func (p page) of(rows []scfFunctionDetail) []scfFunctionDetail {
	if p.offset >= len(rows) {
		return nil
	}
	return rows[p.offset:min(len(rows), p.offset+p.limit)]
}

// nonNil makes an empty list encode as [] rather than null, as the vendor's.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func firstTCErr(errs ...*tcError) *tcError {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
