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

// DAGs.
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

// Label A: "ERR wrong number of arguments for '<cmd>' command", with the command name exactly
// as the client typed it (the server's own helper would normalise its case).
int WrongArity(RedisModuleCtx* ctx, RedisModuleString* cmd);

// Replies with `text` as an error, with CR and LF turned into spaces (spec §0).
int ReplyError(RedisModuleCtx* ctx, const std::string& text);

}  // namespace rai::err
