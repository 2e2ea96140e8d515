package emulator

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// maxLogTail is what LogType "Tail" returns: the last 4 KB of the log.
const maxLogTail = 4 << 10

// scfResult is Invoke's Result (the SDK's model).
type scfResult struct {
	Log, RetMsg, ErrMsg string
	MemUsage            int64
	Duration            float64
	BillDuration        int64
	FunctionRequestId   string
	InvokeResult        int
}

// invokeArgs are Invoke's settings, checked.
type invokeArgs struct {
	event []byte
	tail  bool
}

func readInvoke(fields map[string]any) (invokeArgs, *tcError) {
	var a invokeArgs
	switch t := strField(fields, "InvocationType"); t {
	case "", "RequestResponse":
	case "Event":
		return a, tcErrDetail(tcUnsupportedOperation, "the emulator runs synchronous invocations only (InvocationType RequestResponse)")
	default:
		return a, tcErr(tcInvalidValue, "InvocationType")
	}
	if err := firstTCErr(checkQualifier(fields), oneOf(fields, "LogType", "Tail", "None")); err != nil {
		return a, err
	}
	a.tail = strField(fields, "LogType") == "Tail"
	a.event = []byte(cmp.Or(strField(fields, "ClientContext"), "{}"))
	if !json.Valid(a.event) {
		return a, tcErrDetail(tcBadParam, "ClientContext is not JSON")
	}
	return a, nil
}

// scfInvoke runs the function for real with node, as the WeChat invoke does,
// and answers the log tail, the result or the error.
func (s *Server) scfInvoke(tr *tcReq) (any, *tcError) {
	args, err := readInvoke(tr.rq.fields)
	if err != nil {
		return nil, err
	}
	var fn Function
	err = s.withFunction(tr, func(f *function) *tcError {
		if st := f.status(tr.now, s.opts.StatusDelay); st != "Active" {
			return tcErrDetail(tcBusyStatus, "%s is %s", f.Name, st)
		}
		fn = f.snapshot()
		return nil
	})
	if err != nil {
		return nil, err
	}
	reqID := newRequestID()
	file, export := handlerParts(fn.Handler)
	if s.node == "" || !strings.HasPrefix(fn.Runtime, "Nodejs") || len(fn.Zip) == 0 {
		// Nothing can run it here: answer deterministically, as WeChat's
		// echo does.
		ret, _ := echoData(args.event, fn.Env, fn.Name, fn.Version)
		return invokeAnswer(scfResult{RetMsg: ret, FunctionRequestId: reqID, Log: invokeLog(reqID, "", "", 0, fn.MemorySize, 0)}, args.tail), nil
	}
	timeout := time.Duration(fn.Timeout) * time.Second
	fctx, _ := json.Marshal(map[string]any{
		"callbackWaitsForEmptyEventLoop": true, "memory_limit_in_mb": fn.MemorySize,
		"time_limit_in_ms": timeout.Milliseconds(), "request_id": reqID, "function_version": "$LATEST",
		"function_name": fn.Name, "namespace": fn.Env, "tencentcloud_region": s.opts.Region,
	})
	out := s.runNode(tr.rq.r.Context(), nodeRun{
		code: fn.Zip, env: fn.Env, name: fn.Name, file: file, export: export,
		event: args.event, context: fctx, vars: s.functionVars(fn), timeout: timeout,
	})
	if out.gone {
		return nil, &tcError{tcInternalError, "the client went away during the invoke"}
	}
	if out.internal != nil {
		return nil, &tcError{tcInternalError, "the emulator could not run the function: " + out.internal.Error()}
	}
	return invokeAnswer(out.result(reqID, fn), args.tail), nil
}

func invokeAnswer(r scfResult, tail bool) any {
	if !tail {
		r.Log = ""
	}
	return struct{ Result scfResult }{r}
}

// result maps a run to Invoke's Result: RetMsg is JSON of what the handler
// returned; a failure has InvokeResult -1, ErrMsg as JSON
// {"errorCode","errorMessage","errorType","stackTrace"} and the error at the
// end of the log.
func (o nodeOutcome) result(reqID string, fn Function) scfResult {
	ms := float64(o.elapsed.Microseconds()) / 1000
	r := scfResult{
		Duration: ms, BillDuration: int64(math.Ceil(ms)), MemUsage: o.rss,
		FunctionRequestId: reqID,
	}
	var failure string
	switch {
	case o.timedOut:
		failure = fmt.Sprintf("Invoking task timed out after %d seconds", fn.Timeout)
		r.ErrMsg, _ = marshalString(map[string]any{"errorCode": -1, "errorMessage": failure, "errorType": "TimeoutError"})
	case o.ok:
		r.RetMsg = o.data
	default:
		failure = cmp.Or(o.stack, o.errName+": "+o.errMsg)
		r.ErrMsg, _ = marshalString(map[string]any{
			"errorCode": -1, "errorMessage": o.errMsg, "errorType": o.errName, "stackTrace": o.stack,
		})
	}
	if failure != "" {
		r.InvokeResult = -1
	}
	r.Log = invokeLog(reqID, o.console, failure, ms, fn.MemorySize, o.rss)
	return r
}

// invokeLog is the function's log as SCF writes it: START, what the function
// printed, the error, END and the report line; its last 4 KB.
func invokeLog(reqID, console, failure string, ms float64, memMB int, rss int64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "START RequestId: %s\nEvent RequestId: %s\n", reqID, reqID)
	b.WriteString(console)
	if console != "" && !strings.HasSuffix(console, "\n") {
		b.WriteByte('\n')
	}
	if failure != "" {
		b.WriteString(failure + "\n")
	}
	fmt.Fprintf(&b, "END RequestId: %s\nReport RequestId: %s Duration:%.3fms Memory:%dMB MemUsage:%.2fMB\n",
		reqID, reqID, ms, memMB, float64(rss)/(1<<20))
	log := b.String()
	if len(log) > maxLogTail {
		log = log[len(log)-maxLogTail:]
	}
	return log
}

func marshalString(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
