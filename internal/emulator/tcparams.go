package emulator

import (
	"encoding/json"
	"slices"
	"strconv"
)

// kind is a JSON type a request field must have.
type kind uint8

const (
	kStr kind = iota
	kInt
	kBool
	kObj
	kArr
	kAny // not inspected (only for fields the emulator refuses anyway)
)

// field is one request field of an action's model.
type field struct {
	kind kind
	obj  schema // kObj: its fields
	elem *field // kArr: its elements
	// missing is the error code for a required field left out ("" when it
	// is optional).
	missing string
	// unsupported fields exist in the vendor's model but not in the
	// emulator: refused (UnsupportedOperation) when given a non-empty value,
	// rather than accepted and ignored.
	unsupported bool
}

// schema is an action's (or nested object's) fields: the SDK's model.
type schema map[string]field

var (
	fStr    = field{kind: kStr}
	fInt    = field{kind: kInt}
	fBool   = field{kind: kBool}
	fUnsupp = field{kind: kAny, unsupported: true}
)

func req(f field, code string) field { f.missing = code; return f }
func obj(s schema) field             { return field{kind: kObj, obj: s} }
func arr(f field) field              { return field{kind: kArr, elem: &f} }

// The request models of the Go SDK (tencentcloud/scf/v20180416/models.go and
// sts/v20180813/models.go, v1.3.166): every field they name and no other.
var (
	codeSchema = schema{
		"ZipFile": fStr, "CosBucketName": fUnsupp, "CosObjectName": fUnsupp, "CosBucketRegion": fUnsupp,
		"DemoId": fUnsupp, "TempCosObjectName": fUnsupp, "GitUrl": fUnsupp, "GitUserName": fUnsupp,
		"GitPassword": fUnsupp, "GitPasswordSecret": fUnsupp, "GitBranch": fUnsupp, "GitDirectory": fUnsupp,
		"GitCommitId": fUnsupp, "GitUserNameSecret": fUnsupp, "ImageConfig": fUnsupp,
	}
	environmentSchema = schema{"Variables": arr(obj(schema{"Key": fStr, "Value": fStr}))}
	vpcSchema         = schema{"VpcId": fStr, "SubnetId": fStr}
	tagSchema         = schema{"Key": fStr, "Value": fStr}

	createFunctionParams = schema{
		"FunctionName": req(fStr, tcMissingParameter), "Code": req(obj(codeSchema), tcMissingCode),
		"Handler": fStr, "Description": fStr, "MemorySize": fInt, "Timeout": fInt,
		"Environment": obj(environmentSchema), "Runtime": req(fStr, tcMissingRuntime),
		"VpcConfig": obj(vpcSchema), "Namespace": fStr, "Role": fStr, "InstallDependency": fStr,
		"ClsLogsetId": fStr, "ClsTopicId": fStr, "Type": fStr, "CodeSource": fStr, "Layers": fUnsupp,
		"DeadLetterConfig": fUnsupp, "PublicNetConfig": fUnsupp, "CfsConfig": fUnsupp, "InitTimeout": fInt,
		"Tags": arr(obj(tagSchema)), "AsyncRunEnable": fStr, "TraceEnable": fStr,
		"AutoDeployClsTopicIndex": fStr, "AutoCreateClsTopic": fStr, "ProtocolType": fUnsupp,
		"ProtocolParams": fUnsupp, "InstanceConcurrencyConfig": fUnsupp, "DnsCache": fStr,
		"IntranetConfig": fUnsupp,
	}
	updateCodeParams = schema{
		"FunctionName": req(fStr, tcMissingParameter), "Handler": fStr, "CosBucketName": fUnsupp,
		"CosObjectName": fUnsupp, "ZipFile": fStr, "Namespace": fStr, "CosBucketRegion": fUnsupp,
		"InstallDependency": fStr, "EnvId": fUnsupp, "Publish": fStr, "Code": obj(codeSchema), "CodeSource": fStr,
	}
	updateConfigParams = schema{
		"FunctionName": req(fStr, tcMissingParameter), "Description": fStr, "MemorySize": fInt,
		"Timeout": fInt, "Runtime": fStr, "Environment": obj(environmentSchema), "Namespace": fStr,
		"VpcConfig": obj(vpcSchema), "Role": fStr, "InstallDependency": fStr, "ClsLogsetId": fStr,
		"ClsTopicId": fStr, "Publish": fStr, "L5Enable": fStr, "Layers": fUnsupp, "DeadLetterConfig": fUnsupp,
		"PublicNetConfig": fUnsupp, "CfsConfig": fUnsupp, "InitTimeout": fInt, "ProtocolParams": fUnsupp,
		"InstanceConcurrencyConfig": fUnsupp, "DnsCache": fStr, "IntranetConfig": fUnsupp, "IgnoreSysLog": fBool,
	}
	getFunctionParams = schema{
		"FunctionName": req(fStr, tcMissingParameter), "Qualifier": fStr, "Namespace": fStr, "ShowCode": fStr,
	}
	getAddressParams = schema{
		"FunctionName": req(fStr, tcMissingParameter), "Qualifier": fStr, "Namespace": fStr,
	}
	invokeParams = schema{
		"FunctionName": req(fStr, tcMissingParameter), "InvocationType": fStr, "Qualifier": fStr,
		"ClientContext": fStr, "LogType": fStr, "Namespace": fStr, "RoutingKey": fStr,
	}
	listFunctionsParams = schema{
		"Order": fStr, "Orderby": fStr, "Offset": fInt, "Limit": fInt, "SearchKey": fStr,
		"Namespace": fStr, "Description": fStr, "Filters": fUnsupp,
	}
	deleteFunctionParams = schema{
		"FunctionName": req(fStr, tcMissingParameter), "Namespace": fStr, "Qualifier": fStr,
	}
	createTriggerParams = schema{
		"FunctionName": req(fStr, tcMissingParameter), "TriggerName": req(fStr, tcMissingParameter),
		"Type": req(fStr, tcMissingParameter), "TriggerDesc": fStr, "Namespace": fStr, "Qualifier": fStr,
		"Enable": fStr, "CustomArgument": fStr, "Description": fStr,
	}
	deleteTriggerParams = schema{
		"FunctionName": req(fStr, tcMissingParameter), "TriggerName": req(fStr, tcMissingParameter),
		"Type": req(fStr, tcMissingParameter), "Namespace": fStr, "TriggerDesc": fStr, "Qualifier": fStr,
	}
	listTriggersParams = schema{
		"FunctionName": req(fStr, tcMissingParameter), "Namespace": fStr, "Offset": fInt, "Limit": fInt,
		"OrderBy": fStr, "Order": fStr, "Filters": fUnsupp,
	}
	assumeRoleParams = schema{
		"ProviderId": req(fStr, tcMissingParameter), "WebIdentityToken": req(fStr, tcMissingParameter),
		"RoleArn": req(fStr, tcMissingParameter), "RoleSessionName": req(fStr, tcMissingParameter),
		"DurationSeconds": fInt,
	}
)

// check validates fields against the schema, in the order the vendor's
// gateway reports: unknown names, types, required fields, then what the
// emulator does not implement. Names are checked in sorted order so the
// answer does not depend on map order. prefix names nested fields
// ("Code.ZipFile", "Environment.Variables.0.Key").
func (sc schema) check(fields map[string]any, prefix string) *tcError {
	for _, name := range sortedKeys(fields) {
		if _, ok := sc[name]; !ok {
			return tcErr(tcUnknownParameter, prefix+name)
		}
	}
	for _, name := range sortedKeys(sc) {
		f, v := sc[name], fields[name]
		if err := f.checkValue(v, prefix+name); err != nil {
			return err
		}
	}
	return nil
}

func (f field) checkValue(v any, path string) *tcError {
	if v == nil || v == "" {
		if f.missing != "" {
			if f.missing == tcMissingParameter {
				return tcErr(tcMissingParameter, path)
			}
			return tcErr(f.missing)
		}
		return nil
	}
	if !f.typeOK(v) {
		return tcErr(tcInvalidParameter, path)
	}
	if f.unsupported && !isEmpty(v) {
		return tcErrDetail(tcUnsupportedOperation, "the emulator does not implement `%s`", path)
	}
	return f.checkNested(v, path)
}

func (f field) typeOK(v any) bool {
	switch f.kind {
	case kStr:
		_, ok := v.(string)
		return ok
	case kInt:
		n, ok := v.(json.Number)
		_, err := strconv.ParseInt(string(n), 10, 64)
		return ok && err == nil
	case kBool:
		_, ok := v.(bool)
		return ok
	case kObj:
		_, ok := v.(map[string]any)
		return ok
	case kArr:
		_, ok := v.([]any)
		return ok
	}
	return true
}

func (f field) checkNested(v any, path string) *tcError {
	switch f.kind {
	case kObj:
		return f.obj.check(v.(map[string]any), path+".")
	case kArr:
		for i, e := range v.([]any) {
			if err := f.elem.checkValue(e, path+"."+strconv.Itoa(i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// The accessors below read fields the schema has already checked.

func strField(m map[string]any, name string) string {
	s, _ := m[name].(string)
	return s
}

// intField returns an integer field and whether it was given.
func intField(m map[string]any, name string) (int64, bool) {
	n, ok := m[name].(json.Number)
	if !ok {
		return 0, false
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	return i, err == nil
}

func objField(m map[string]any, name string) (map[string]any, bool) {
	o, ok := m[name].(map[string]any)
	return o, ok
}
