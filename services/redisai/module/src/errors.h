// The module's single error vocabulary: every error text a command can send, in one place.
//
// Texts are facts of the protocol spec (§3) and must match it byte for byte; several have no
// "ERR " prefix on purpose. Commands reply through ReplyError so backend texts are flattened
// to one line.
#pragma once

#include <string>

struct RedisModuleCtx;
struct RedisModuleString;

namespace rai::err {

// Shared labels (spec §3).
inline constexpr const char* kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr const char* kTransaction =
    "ERR Cannot run RedisAI command within a transaction or a LUA script";
inline constexpr const char* kTensorKeyEmpty = "ERR tensor key is empty or in a different shard";
inline constexpr const char* kModelKeyEmpty = "ERR model key is empty";
inline constexpr const char* kScriptKeyEmpty = "ERR script key is empty";

// Tensors.
inline constexpr const char* kInvalidDType = "ERR invalid data type";
inline constexpr const char* kBadShape = "ERR invalid or negative value found in tensor shape";
inline constexpr const char* kSingleBlob =
    "ERR a single binary string should come after the BLOB argument in 'AI.TENSORSET' command";
inline constexpr const char* kValueCount =
    "ERR wrong number of values was given in 'AI.TENSORSET' command";
inline constexpr const char* kInvalidValue = "ERR invalid value";
inline constexpr const char* kNulInString = "ERR C-string value contains null character";
inline constexpr const char* kBlobLength = "ERR data length does not match tensor shape and type";
inline constexpr const char* kBoolValues = "ERR BOOL tensor elements must be 0 or 1";
inline constexpr const char* kStringBlob =
    "ERR Number of string elements in data blob does not match tensor length";
inline constexpr const char* kDataFormat = "ERR unsupported data format";
inline constexpr const char* kBlobAndValues = "ERR both BLOB and VALUES specified";
// Module-specific (README, "Deviations"): refuse tensors above the configured byte limit.
inline constexpr const char* kTensorTooLarge = "ERR tensor size exceeds TENSOR_MAX_BYTES";

// Model store.
inline constexpr const char* kUnsupportedBackend = "ERR unsupported backend";
inline constexpr const char* kInvalidDevice = "ERR Invalid DEVICE";
inline constexpr const char* kMinBatchNoBatch = "ERR MINBATCHSIZE specified without BATCHSIZE";
inline constexpr const char* kMinTimeoutNoMin =
    "ERR MINBATCHTIMEOUT specified without MINBATCHSIZE";
inline constexpr const char* kMinTimeoutNoBatch =
    "ERR MINBATCHTIMEOUT specified without BATCHSIZE";
inline constexpr const char* kTfliteBatching =
    "ERR Auto-batching not supported by the TFLITE backend";
inline constexpr const char* kMissingBlob = "ERR Insufficient arguments, missing model BLOB";
inline constexpr const char* kTfInputsMissing = "ERR INPUTS not specified for TF";
inline constexpr const char* kTfOutputsMissing = "ERR OUTPUTS not specified for TF";
inline constexpr const char* kInputCountArg = "ERR Invalid argument for input_count";
inline constexpr const char* kOutputCountArg = "ERR Invalid argument for output_count";
inline constexpr const char* kTfInputNames =
    "ERR number of model inputs does not match the number of given arguments";
inline constexpr const char* kTfOutputNames =
    "ERR number of model outputs does not match the number of given arguments";
inline constexpr const char* kInputsNotForBackend =
    "ERR INPUTS argument should not be specified for this backend";
inline constexpr const char* kExpectedBlob = "ERR Invalid argument, expected BLOB";
inline constexpr const char* kSetNoNodes =
    "ERR Insufficient arguments, INPUTS and OUTPUTS not specified";
inline constexpr const char* kInputsNotSpecified = "ERR INPUTS not specified";
inline constexpr const char* kOutputsNotSpecified = "ERR OUTPUTS not specified";
inline constexpr const char* kCouldNotLoadBackend = "ERR Could not load backend";
inline constexpr const char* kQueueInit = "ERR Could not initialize queue on requested device";
inline constexpr const char* kNoCuda = "GPU requested but Torch couldn't find CUDA";

// Model execution.
inline constexpr const char* kExecuteArity =
    "ERR wrong number of arguments for 'AI.MODELEXECUTE' command";
inline constexpr const char* kRunArity = "ERR wrong number of arguments for 'AI.MODELRUN' command";
inline constexpr const char* kInputCountPositive = "ERR Input count must be a positive integer";
inline constexpr const char* kOutputCountPositive = "ERR Output count must be a positive integer";
inline constexpr const char* kInputsVsModel =
    "Number of keys given as INPUTS here does not match model definition";
inline constexpr const char* kOutputsVsModel =
    "Number of keys given as OUTPUTS here does not match model definition";
inline constexpr const char* kInputKeysArgs =
    "ERR number of input keys to AI.MODELEXECUTE command does not match the number of given "
    "arguments";
inline constexpr const char* kOutputKeysArgs =
    "ERR number of output keys to AI.MODELEXECUTE command does not match the number of given "
    "arguments";
inline constexpr const char* kInvalidArgumentPrefix = "Invalid argument: ";
inline constexpr const char* kTimeoutMissing = "ERR No value provided for TIMEOUT";
inline constexpr const char* kTimeoutInvalid = "ERR Invalid value for TIMEOUT";
inline constexpr const char* kBatchSizeMismatch =
    "ERR Model did not generate the expected batch size";
inline constexpr const char* kOutputsMissing =
    "ERR Model did not generate the expected number of outputs";

// Scripts.
inline constexpr const char* kMissingEntryPoints =
    "ERR Insufficient arguments, missing script entry points";
inline constexpr const char* kEntryPointsCount =
    "ERR Non numeric entry points number provided to AI.SCRIPTSTORE command";
inline constexpr const char* kMissingSource = "ERR Insufficient arguments, missing script SOURCE";
inline constexpr const char* kScriptExecuteArity =
    "ERR wrong number of arguments for 'AI.SCRIPTEXECUTE' command";
inline constexpr const char* kScriptRunArity =
    "ERR wrong number of arguments for 'AI.SCRIPTRUN' command";
inline constexpr const char* kKeysOrInputsFirst =
    "ERR KEYS or INPUTS scope must be provided first for AI.SCRIPTEXECUTE command";
inline constexpr const char* kMissingAfterKeys = "ERR Missing arguments after KEYS keyword";
inline constexpr const char* kKeysCount =
    "ERR Invalid or negative value found in number of KEYS";
inline constexpr const char* kKeysArgs =
    "ERR Number of pre declared KEYS to be used in the command does not match the number of "
    "given arguments";
inline constexpr const char* kScriptInvalidArgs =
    "ERR Invalid arguments provided to AI.SCRIPTEXECUTE";
inline constexpr const char* kScriptTimeoutMissing =
    "ERR No value provided for TIMEOUT in AI.SCRIPTEXECUTE";
inline constexpr const char* kScriptAfterTimeout =
    "ERR Encountered problem parsing AI.SCRIPTEXECUTE";
inline constexpr const char* kScriptUnexpectedPrefix =
    "ERR Invalid AI.SCRIPTEXECUTE command. Unexpected argument: ";
inline constexpr const char* kRunSecondTimeout =
    "ERR Already encountered an TIMEOUT section in SCRIPTRUN";
inline constexpr const char* kRunInputsAfterOutputs =
    "ERR Already encountered an INPUTS section in SCRIPTRUN";
inline constexpr const char* kRunSecondInputs =
    "ERR Already encountered an INPUTS keyword in SCRIPTRUN";
inline constexpr const char* kRunSecondOutputs =
    "ERR Already encountered an OUTPUTS keyword in SCRIPTRUN";
inline constexpr const char* kRunVariadicOutside =
    "ERR Encountered a variable size list of tensors outside of input section";
inline constexpr const char* kRunSecondVariadic =
    "ERR Already encountered a variable size list of tensors";
inline constexpr const char* kRunUnknown = "ERR Unrecongnized parameter to SCRIPTRUN";  // sic
inline constexpr const char* kScriptSecondKeys =
    "ERR Already Encountered KEYS scope in AI.SCRIPTEXECUTE command";
inline constexpr const char* kScriptInputsCount =
    "ERR Invalid argument for inputs count in AI.SCRIPTEXECUTE";
inline constexpr const char* kScriptInputsArgs =
    "ERR number of inputs to AI.SCRIPTEXECUTE command does not match the number of given "
    "arguments";
// The ARGS count error says "keys": the reference's text, kept byte for byte.
inline constexpr const char* kScriptArgsCount =
    "ERR Invalid argument for keys count in AI.SCRIPTEXECUTE";
inline constexpr const char* kScriptArgsArgs =
    "ERR number of args to AI.SCRIPTEXECUTE command does not match the number of given "
    "arguments";
inline constexpr const char* kScriptOutputsCount =
    "ERR Invalid argument for outputs count in AI.SCRIPTEXECUTE";
inline constexpr const char* kScriptOutputsArgs =
    "ERR number of outputs to AI.SCRIPTEXECUTE command does not match the number of given "
    "arguments";
inline constexpr const char* kUnsupportedDevice = "ERR unsupported device";

// DAGs.
inline constexpr const char* kDagTensorSetArity =
    "wrong number of arguments for 'AI.TENSORSET' command";
inline constexpr const char* kDagTensorGetArity =
    "wrong number of arguments for 'AI.TENSORGET' command";
inline constexpr const char* kDagModelExecuteInRun =
    "AI.MODELEXECUTE cannot be used in a deprecated AI.DAGRUN command";
inline constexpr const char* kDagModelRunInExecute =
    "Deprecated AI.MODELRUN cannot be used in AI.DAGEXECUTE command";
inline constexpr const char* kDagScriptExecuteInRun =
    "AI.SCRIPTEXECUTE cannot be used in a deprecated AI.DAGRUN command";
inline constexpr const char* kDagScriptInReadOnly =
    "ERR AI.SCRIPTEXECUTE command cannot be specified in a read-only DAG";
inline constexpr const char* kDagScriptRunInExecute =
    "Deprecated AI.SCRIPTRUN cannot be used in AI.DAGEXECUTE command";
inline constexpr const char* kDagUnsupported = "Unsupported command within DAG";
inline constexpr const char* kDagUnexpectedPrefix =
    "ERR Invalid DAG command. Unexpected argument:  ";
inline constexpr const char* kDagLoadMissing =
    "ERR missing arguments after LOAD keyword in DAG command";
inline constexpr const char* kDagLoadCount =
    "ERR invalid or negative value found in number of keys to LOAD";
inline constexpr const char* kDagLoadKeys =
    "ERR number of keys to LOAD into DAG does not match the number of given arguments";
inline constexpr const char* kDagPersistInReadOnly =
    "ERR PERSIST cannot be specified in a read-only DAG";
inline constexpr const char* kDagPersistMissing =
    "ERR missing arguments after PERSIST keyword in DAG command";
inline constexpr const char* kDagPersistCount =
    "ERR invalid or negative value found in number of keys to PERSIST";
inline constexpr const char* kDagPersistKeys =
    "ERR number of keys to PERSIST after DAG execution does not match the number of "
    "given arguments";
inline constexpr const char* kDagPersistUnique = "ERR PERSIST keys must be unique";
inline constexpr const char* kDagRoutingMissing = "ERR Missing ROUTING value";
inline constexpr const char* kDagNoKeywords =
    "ERR AI.DAGEXECUTE and AI.DAGEXECUTE_RO commands must contain at least one out "
    "of ROUTING, LOAD, PERSIST keywords";
inline constexpr const char* kDagEmpty = "ERR DAG is empty";
inline constexpr const char* kDagInputMissing = "ERR INPUT key cannot be found in DAG";
inline constexpr const char* kDagPersistKeyMissing = "ERR PERSIST key cannot be found in DAG";
inline constexpr const char* kDagMissingArgumentsPrefix = "ERR missing arguments for '";
inline constexpr const char* kArityPrefix = "ERR wrong number of arguments for '";
inline constexpr const char* kDagTimeout = "ERR TIMEOUT not allowed within a DAG command";

// Statistics and configuration.
inline constexpr const char* kNoRunInfo = "ERR cannot find run info for key";
inline constexpr const char* kConfigPathMissing = "ERR BACKENDSPATH: missing path argument";
inline constexpr const char* kChunkMissing = "ERR MODEL_CHUNK_SIZE: missing chunk size";
inline constexpr const char* kChunkInvalid = "ERR MODEL_CHUNK_SIZE: invalid chunk size";
inline constexpr const char* kLoadBackend = "ERR error loading backend";
inline constexpr const char* kUnsupportedSubcommand = "ERR unsupported subcommand";

// "ERR Invalid argument for <OPTION>" for the store options.
std::string InvalidArgumentFor(const char* option);

// "ERR Already Encountered <SECTION> scope in AI.SCRIPTEXECUTE command".
std::string ScriptSecondSection(const char* section);

// Label A: "ERR wrong number of arguments for '<cmd>' command", with the command name exactly
// as the client typed it (the server's own helper would normalise its case).
int WrongArity(RedisModuleCtx* ctx, RedisModuleString* cmd);

// Replies with `text` as an error, with CR and LF turned into spaces (spec §0).
int ReplyError(RedisModuleCtx* ctx, const std::string& text);

}  // namespace rai::err
