// AI.MODELSTORE, AI.MODELSET (deprecated), AI.MODELGET and AI.MODELDEL (spec §2.3-2.6).
#include "args.h"
#include "commands.h"
#include "config.h"
#include "errors.h"
#include "keys.h"
#include "queue.h"
#include "rm_api.h"

namespace rai::cmd {

namespace {

// MODELSTORE devices: CPU, GPU, CPU:<digits>, GPU:<digits>, under 10 characters.
bool ValidDevice(std::string_view device) {
  if (device.size() >= 10) return false;
  std::string up = args::Upper(device);
  if (up.rfind("CPU", 0) != 0 && up.rfind("GPU", 0) != 0) return false;
  if (up.size() == 3) return true;
  if (up[3] != ':') return false;
  for (size_t i = 4; i < up.size(); ++i) {
    if (up[i] < '0' || up[i] > '9') return false;
  }
  return true;
}

// MODELSET devices: rejected only when too long or when a keyword stands in their place.
bool ValidLegacyDevice(std::string_view device) {
  if (device.size() > 10) return false;
  for (const char* kw : {"INPUTS", "OUTPUTS", "TAG", "BATCHSIZE", "MINBATCHSIZE",
                         "MINBATCHTIMEOUT", "BLOB"}) {
    if (args::EqualsIgnoreCase(device, kw)) return false;
  }
  return true;
}

// Reads `<option> value` as an unsigned option; false leaves the error text in `error`.
bool ReadOption(RedisModuleString** argv, int argc, int* pos, const char* option,
                unsigned long long* out, std::string* error) {
  if (*pos + 1 >= argc || !args::ParseUnsigned(argv[*pos + 1], out)) {
    *error = err::InvalidArgumentFor(option);
    return false;
  }
  *pos += 2;
  return true;
}

// Reads `count name...` for a TF node list at *pos (just after INPUTS/OUTPUTS).
bool ReadNodeList(RedisModuleString** argv, int argc, int* pos, const char* count_error,
                  const char* names_error, std::vector<std::string>* out, std::string* error) {
  unsigned long long n = 0;
  if (*pos >= argc || !args::ParseUnsigned(argv[*pos], &n) || n == 0) {
    *error = count_error;
    return false;
  }
  ++*pos;
  if (n > static_cast<unsigned long long>(argc - *pos)) {
    *error = names_error;
    return false;
  }
  for (unsigned long long i = 0; i < n; ++i) out->push_back(args::Str(argv[(*pos)++]));
  return true;
}

void ReadBlob(RedisModuleString** argv, int argc, int first, std::string* blob) {
  for (int i = first; i < argc; ++i) blob->append(args::View(argv[i]));
}

// The common tail of both store commands: build, queue, key type, then write (spec §2.3).
int FinishStore(RedisModuleCtx* ctx, RedisModuleString* keyname, ModelSpec spec) {
  std::string error;
  std::shared_ptr<Model> model = BuildModel(std::move(spec), &error);
  if (!model) return err::ReplyError(ctx, error);
  if (!queues::Ensure(model->spec.device)) return err::ReplyError(ctx, err::kQueueInit);
  {
    keys::Key probe(ctx, keyname, rm::READ);
    keys::Kind kind = probe.kind();
    if (kind != keys::Kind::Empty && kind != keys::Kind::Model)
      return err::ReplyError(ctx, err::kWrongType);
  }
  RegisterStats(model.get(), args::Str(keyname));
  keys::Key writer(ctx, keyname, rm::READ | rm::WRITE);
  writer.SetModel(std::move(model));
  rm::ReplicateVerbatim(ctx);
  return rm::ReplyWithSimpleString(ctx, "OK");
}

void ReplyBulk(RedisModuleCtx* ctx, std::string_view s) {
  rm::ReplyWithStringBuffer(ctx, s.data(), s.size());
}

void ReplyNames(RedisModuleCtx* ctx, const std::vector<std::string>& names) {
  rm::ReplyWithArray(ctx, static_cast<long>(names.size()));
  for (const auto& n : names) ReplyBulk(ctx, n);
}

// k = floor(L / C) + 1 chunks of C bytes, the last holding L mod C (spec §2.5, Q3).
void ReplyBlob(RedisModuleCtx* ctx, const std::string& blob) {
  size_t c = static_cast<size_t>(config().model_chunk_size);
  size_t k = blob.size() / c + 1;
  if (k == 1) return ReplyBulk(ctx, blob);
  rm::ReplyWithArray(ctx, static_cast<long>(k));
  for (size_t i = 0; i < k; ++i) {
    size_t off = i * c;
    ReplyBulk(ctx, std::string_view(blob).substr(off, std::min(c, blob.size() - off)));
  }
}

}  // namespace

// AI.MODELSTORE key backend device [TAG tag] [BATCHSIZE n [MINBATCHSIZE m [MINBATCHTIMEOUT ms]]] [INPUTS n name... OUTPUTS n name...] BLOB chunk...
int ModelStore(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc < 6) return err::WrongArity(ctx, argv[0]);
  ModelSpec spec;
  auto backend = ParseBackend(args::View(argv[2]));
  if (!backend) return err::ReplyError(ctx, err::kUnsupportedBackend);
  spec.backend = *backend;
  if (!ValidDevice(args::View(argv[3]))) return err::ReplyError(ctx, err::kInvalidDevice);
  spec.device = args::Str(argv[3]);

  int pos = 4;
  std::string error;
  if (pos < argc && args::Is(argv[pos], "TAG") && pos + 1 < argc) {
    spec.tag = args::Str(argv[pos + 1]);
    pos += 2;
  }
  if (pos < argc && args::Is(argv[pos], "BATCHSIZE")) {
    if (!ReadOption(argv, argc, &pos, "BATCHSIZE", &spec.batchsize, &error))
      return err::ReplyError(ctx, error);
    if (pos < argc && args::Is(argv[pos], "MINBATCHSIZE")) {
      if (!ReadOption(argv, argc, &pos, "MINBATCHSIZE", &spec.minbatchsize, &error))
        return err::ReplyError(ctx, error);
      if (pos < argc && args::Is(argv[pos], "MINBATCHTIMEOUT")) {
        if (!ReadOption(argv, argc, &pos, "MINBATCHTIMEOUT", &spec.minbatchtimeout, &error))
          return err::ReplyError(ctx, error);
      }
    }
  }
  if (spec.minbatchsize > 0 && spec.batchsize == 0)
    return err::ReplyError(ctx, err::kMinBatchNoBatch);
  if (spec.minbatchtimeout > 0 && spec.minbatchsize == 0)
    return err::ReplyError(ctx, err::kMinTimeoutNoMin);
  if (pos >= argc) return err::ReplyError(ctx, err::kMissingBlob);

  if (spec.backend == Backend::TF) {
    if (!args::Is(argv[pos], "INPUTS")) return err::ReplyError(ctx, err::kTfInputsMissing);
    ++pos;
    if (!ReadNodeList(argv, argc, &pos, err::kInputCountArg, err::kTfInputNames, &spec.inputs,
                      &error))
      return err::ReplyError(ctx, error);
    if (pos >= argc || !args::Is(argv[pos], "OUTPUTS"))
      return err::ReplyError(ctx, err::kTfOutputsMissing);
    ++pos;
    if (!ReadNodeList(argv, argc, &pos, err::kOutputCountArg, err::kTfOutputNames,
                      &spec.outputs, &error))
      return err::ReplyError(ctx, error);
  } else if (args::Is(argv[pos], "INPUTS")) {
    return err::ReplyError(ctx, err::kInputsNotForBackend);
  }
  if (pos >= argc || !args::Is(argv[pos], "BLOB")) return err::ReplyError(ctx, err::kExpectedBlob);
  if (pos + 1 >= argc) return err::ReplyError(ctx, err::kMissingBlob);
  ReadBlob(argv, argc, pos + 1, &spec.blob);
  return FinishStore(ctx, argv[1], std::move(spec));
}

// AI.MODELSET key backend device [TAG t] [BATCHSIZE n [MINBATCHSIZE m [MINBATCHTIMEOUT ms]]] [INPUTS name... OUTPUTS name...] BLOB chunk...
int ModelSet(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc < 4) return err::WrongArity(ctx, argv[0]);
  ModelSpec spec;
  auto backend = ParseBackend(args::View(argv[2]));
  if (!backend) return err::ReplyError(ctx, err::kUnsupportedBackend);
  spec.backend = *backend;
  if (!ValidLegacyDevice(args::View(argv[3]))) return err::ReplyError(ctx, err::kInvalidDevice);
  spec.device = args::Str(argv[3]);

  int pos = 4;
  std::string error;
  if (pos < argc && args::Is(argv[pos], "TAG") && pos + 1 < argc) {
    spec.tag = args::Str(argv[pos + 1]);
    pos += 2;
  }
  if (pos < argc && args::Is(argv[pos], "BATCHSIZE")) {
    if (spec.backend == Backend::TFLITE) return err::ReplyError(ctx, err::kTfliteBatching);
    if (!ReadOption(argv, argc, &pos, "BATCHSIZE", &spec.batchsize, &error))
      return err::ReplyError(ctx, error);
  }
  if (pos < argc && args::Is(argv[pos], "MINBATCHSIZE")) {
    if (spec.batchsize == 0) return err::ReplyError(ctx, err::kMinBatchNoBatch);
    if (!ReadOption(argv, argc, &pos, "MINBATCHSIZE", &spec.minbatchsize, &error))
      return err::ReplyError(ctx, error);
  }
  if (pos < argc && args::Is(argv[pos], "MINBATCHTIMEOUT")) {
    if (spec.batchsize == 0) return err::ReplyError(ctx, err::kMinTimeoutNoBatch);
    if (!ReadOption(argv, argc, &pos, "MINBATCHTIMEOUT", &spec.minbatchtimeout, &error))
      return err::ReplyError(ctx, error);
    if (spec.minbatchtimeout > 0 && spec.minbatchsize == 0)
      return err::ReplyError(ctx, err::kMinTimeoutNoMin);
  }

  if (spec.backend == Backend::TF) {
    if (pos >= argc) return err::ReplyError(ctx, err::kSetNoNodes);
    if (!args::Is(argv[pos], "INPUTS")) return err::ReplyError(ctx, err::kInputsNotSpecified);
    for (++pos; pos < argc && !args::Is(argv[pos], "OUTPUTS"); ++pos)
      spec.inputs.push_back(args::Str(argv[pos]));
    if (pos >= argc) return err::ReplyError(ctx, err::kOutputsNotSpecified);
    for (++pos; pos < argc && !args::Is(argv[pos], "BLOB"); ++pos)
      spec.outputs.push_back(args::Str(argv[pos]));
  } else {
    while (pos < argc && !args::Is(argv[pos], "BLOB")) ++pos;  // node lists are ignored
  }
  if (pos + 1 >= argc) return err::ReplyError(ctx, err::kMissingBlob);
  ReadBlob(argv, argc, pos + 1, &spec.blob);
  return FinishStore(ctx, argv[1], std::move(spec));
}

// AI.MODELGET key [META] [BLOB]
int ModelGet(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc < 2 || argc > 4) return err::WrongArity(ctx, argv[0]);
  keys::Key key(ctx, argv[1], rm::READ);
  keys::Kind kind = key.kind();
  if (kind == keys::Kind::Empty) return err::ReplyError(ctx, err::kModelKeyEmpty);
  if (kind != keys::Kind::Model) return err::ReplyError(ctx, err::kWrongType);

  bool meta = false, blob = false;
  for (int i = 2; i < argc; ++i) {
    if (args::Is(argv[i], "META")) meta = true;
    else if (args::Is(argv[i], "BLOB")) blob = true;  // unknown tokens are ignored
  }
  if (!meta && !blob) meta = blob = true;
  ModelPtr m = key.model();
  if (!meta) {
    ReplyBlob(ctx, m->spec.blob);
    return rm::OK;
  }
  rm::ReplyWithArray(ctx, blob ? 18 : 16);
  ReplyBulk(ctx, "backend");
  ReplyBulk(ctx, BackendName(m->spec.backend));
  ReplyBulk(ctx, "device");
  ReplyBulk(ctx, m->spec.device);
  ReplyBulk(ctx, "tag");
  ReplyBulk(ctx, m->spec.tag);
  ReplyBulk(ctx, "batchsize");
  rm::ReplyWithLongLong(ctx, static_cast<long long>(m->spec.batchsize));
  ReplyBulk(ctx, "minbatchsize");
  rm::ReplyWithLongLong(ctx, static_cast<long long>(m->spec.minbatchsize));
  ReplyBulk(ctx, "inputs");
  ReplyNames(ctx, m->input_names);
  ReplyBulk(ctx, "outputs");
  ReplyNames(ctx, m->output_names);
  ReplyBulk(ctx, "minbatchtimeout");
  rm::ReplyWithLongLong(ctx, static_cast<long long>(m->spec.minbatchtimeout));
  if (blob) {
    ReplyBulk(ctx, "blob");
    ReplyBlob(ctx, m->spec.blob);
  }
  return rm::OK;
}

// AI.MODELDEL key
int ModelDel(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc != 2) return err::WrongArity(ctx, argv[0]);
  {
    keys::Key probe(ctx, argv[1], rm::READ);  // a failed MODELDEL must not touch WATCH
    keys::Kind kind = probe.kind();
    if (kind == keys::Kind::Empty) return err::ReplyError(ctx, err::kModelKeyEmpty);
    if (kind != keys::Kind::Model) return err::ReplyError(ctx, err::kWrongType);
  }
  keys::Key key(ctx, argv[1], rm::READ | rm::WRITE);
  // Runs in flight keep their reference; the statistics entry goes now (spec §2.17).
  stats::Remove(key.model()->stats.get());
  key.Delete();
  rm::ReplicateVerbatim(ctx);
  return rm::ReplyWithSimpleString(ctx, "OK");
}

}  // namespace rai::cmd
