package tencentcloud

// Requests and responses with the vendor's JSON names
// (tencentcloud-sdk-go scf/v20180416 and sts/v20180813 models.go), holding
// only what this tool sends and reads. Requests are encoded with
// encoding/json and handed to the SDK as a parameter map (toParams), so
// omitempty means what it means in the standard library; the zip's base64
// is put into that map last, so that it is not copied once more.

const (
	scfVersion = "2018-04-16"
	stsVersion = "2018-08-13"

	// statuses (D-ST); the API is asynchronous, a function is written only
	// while it is in none of the transitional ones.
	statusActive       = "Active"
	statusCreating     = "Creating"
	statusUpdating     = "Updating"
	statusCreateFailed = "CreateFailed"
	statusUpdateFailed = "UpdateFailed"
	statusPublishing   = "Publishing"
	statusDeleting     = "Deleting"

	// manager-node creates every CloudBase function with this role; without
	// it the function cannot reach the env's other services.
	tcbRole = "TCB_QcsRole"
)

// responseBase is embedded in every response: a real API answer always
// carries a RequestId, so one without it is not an answer from the API.
type responseBase struct {
	RequestId string `json:"RequestId"`
}

func (r *responseBase) requestID() string { return r.RequestId }

type functionRef struct {
	FunctionName string `json:"FunctionName"`
	Namespace    string `json:"Namespace"`
}

type variable struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type environment struct {
	// Variables is never null: an empty list is how every variable is
	// removed.
	Variables []variable `json:"Variables"`
}

type vpcConfig struct {
	VpcId    string `json:"VpcId"`
	SubnetId string `json:"SubnetId"`
}

// createFunctionRequest is CreateFunction without Code (added as
// Code.ZipFile by the caller).
//
// Stamp is deliberately absent. manager-node sends Stamp "MINI_QCBASE", but
// the field is not in the public CreateFunction model, the tcb API's docs
// call it internal, and API 3.0 refuses parameters it does not know
// (UnknownParameter) and validates this one (InvalidParameterValue.Stamp):
// sending an undocumented value risks refusals we cannot explain. If a
// CloudBase namespace turns out to need it, the .Stamp error's hint says so.
type createFunctionRequest struct {
	functionRef
	Handler           string       `json:"Handler"`
	Runtime           string       `json:"Runtime"`
	Role              string       `json:"Role"`
	InstallDependency string       `json:"InstallDependency"`
	Timeout           *int         `json:"Timeout,omitempty"`
	MemorySize        *int         `json:"MemorySize,omitempty"`
	Environment       *environment `json:"Environment,omitempty"`
	VpcConfig         *vpcConfig   `json:"VpcConfig,omitempty"`
}

// updateFunctionCodeRequest is UpdateFunctionCode without ZipFile (added
// top-level by the caller, not as Code.ZipFile: manager-node).
type updateFunctionCodeRequest struct {
	functionRef
	Handler           string `json:"Handler"`
	InstallDependency string `json:"InstallDependency"`
}

// updateFunctionConfigurationRequest carries only what differs, plus
// InstallDependency (see Configure).
type updateFunctionConfigurationRequest struct {
	functionRef
	Timeout           *int         `json:"Timeout,omitempty"`
	MemorySize        *int         `json:"MemorySize,omitempty"`
	Runtime           string       `json:"Runtime,omitempty"`
	Environment       *environment `json:"Environment,omitempty"`
	InstallDependency string       `json:"InstallDependency,omitempty"`
}

type statusReason struct {
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
}

// trigger is both GetFunction's Trigger and ListTriggers' TriggerInfo: the
// fields read here have the same names in both.
type trigger struct {
	TriggerName string `json:"TriggerName"`
	Type        string `json:"Type"`
	TriggerDesc string `json:"TriggerDesc"`
	Qualifier   string `json:"Qualifier"`
	Description string `json:"Description"`
}

type getFunctionResponse struct {
	responseBase
	FunctionName      string         `json:"FunctionName"`
	Status            string         `json:"Status"`
	StatusDesc        string         `json:"StatusDesc"`
	StatusReasons     []statusReason `json:"StatusReasons"`
	Handler           string         `json:"Handler"`
	Runtime           string         `json:"Runtime"`
	Timeout           *int           `json:"Timeout"`
	MemorySize        *int           `json:"MemorySize"`
	InstallDependency string         `json:"InstallDependency"`
	Environment       *environment   `json:"Environment"`
	Triggers          []trigger      `json:"Triggers"`
}

type getFunctionAddressResponse struct {
	responseBase
	Url        string `json:"Url"`
	CodeSha256 string `json:"CodeSha256"`
}

type invokeRequest struct {
	functionRef
	LogType       string `json:"LogType"`
	ClientContext string `json:"ClientContext"`
}

type invokeResponse struct {
	responseBase
	Result *struct {
		RetMsg       string  `json:"RetMsg"`
		ErrMsg       string  `json:"ErrMsg"`
		Log          string  `json:"Log"`
		Duration     float64 `json:"Duration"` // ms
		InvokeResult int     `json:"InvokeResult"`
	} `json:"Result"`
}

type listTriggersRequest struct {
	functionRef
	Offset int `json:"Offset"`
	Limit  int `json:"Limit"`
}

type listTriggersResponse struct {
	responseBase
	TotalCount int       `json:"TotalCount"`
	Triggers   []trigger `json:"Triggers"`
}

type createTriggerRequest struct {
	functionRef
	TriggerName string `json:"TriggerName"`
	Type        string `json:"Type"`
	TriggerDesc string `json:"TriggerDesc"`
	Enable      string `json:"Enable"`
	Description string `json:"Description"`
}

type deleteTriggerRequest struct {
	functionRef
	TriggerName string `json:"TriggerName"`
	Type        string `json:"Type"`
	// TriggerDesc is required to delete a COS trigger; timers need none.
	TriggerDesc string `json:"TriggerDesc,omitempty"`
	Qualifier   string `json:"Qualifier,omitempty"`
}

// emptyResponse is the answer of a write that returns nothing but its
// RequestId.
type emptyResponse struct {
	responseBase
}

type assumeRoleWithWebIdentityRequest struct {
	ProviderId       string `json:"ProviderId"`
	WebIdentityToken string `json:"WebIdentityToken"`
	RoleArn          string `json:"RoleArn"`
	RoleSessionName  string `json:"RoleSessionName"`
	DurationSeconds  int64  `json:"DurationSeconds"`
}

type assumeRoleWithWebIdentityResponse struct {
	responseBase
	ExpiredTime int64  `json:"ExpiredTime"`
	Expiration  string `json:"Expiration"`
	Credentials *struct {
		Token        string `json:"Token"`
		TmpSecretId  string `json:"TmpSecretId"`
		TmpSecretKey string `json:"TmpSecretKey"`
	} `json:"Credentials"`
}
