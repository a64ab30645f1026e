// The main-thread half of every queued job: transaction refusal, input capture, blocking the
// client, and the reply callback that writes outputs, replicates them and answers.
#include "execution.h"

#include "args.h"
#include "errors.h"
#include "keys.h"
#include "queue.h"
#include "rm_api.h"
#include "tensor_io.h"

namespace rai::exec {

namespace {

// Worker side: hand the finished job to the main thread.
void CompleteOnMainThread(const JobPtr& job) { rm::UnblockClient(job->client, new JobPtr(job)); }

void FreeJob(RedisModuleCtx*, void* privdata) { delete static_cast<JobPtr*>(privdata); }

// Writes one output tensor and replicates it as AI.TENSORSET; false if the key has another type.
bool WriteOutput(RedisModuleCtx* ctx, const std::string& name, const TensorPtr& t) {
  RedisModuleString* keyname = rm::CreateString(ctx, name.data(), name.size());
  bool ok = true;
  {
    keys::Key key(ctx, keyname, rm::READ | rm::WRITE);
    keys::Kind kind = key.kind();
    if (kind != keys::Kind::Empty && kind != keys::Kind::Tensor) {
      ok = false;
    } else {
      key.SetTensor(t);
    }
  }
  if (ok) {
    std::vector<RedisModuleString*> argv = keys::TensorSetArgs(keyname, *t);
    rm::Replicate(ctx, "AI.TENSORSET", "v", argv.data(), argv.size());
    keys::FreeArgs(argv);
  }
  rm::FreeString(ctx, keyname);
  return ok;
}

// Main-thread reply for a finished job (the client is still connected).
int ReplyJob(RedisModuleCtx* ctx, RedisModuleString**, int) {
  JobPtr job = *static_cast<JobPtr*>(rm::GetBlockedClientPrivateData(ctx));
  if (job->dag) return ReplyDag(ctx, *job);
  if (job->result == JobResult::TimedOut) return rm::ReplyWithSimpleString(ctx, "TIMEDOUT");
  if (job->result == JobResult::Error) return err::ReplyError(ctx, job->error);
  const std::vector<TensorPtr>& outputs = StepOutputs(job->steps.back());
  if (outputs.size() < job->output_keys.size())
    return err::ReplyError(ctx, err::kOutputsMissing);
  for (size_t i = 0; i < job->output_keys.size(); ++i) {
    // Spec Q4: an output key of another type answers only W; earlier outputs stay written.
    if (!WriteOutput(ctx, job->output_keys[i], outputs[i]))
      return err::ReplyError(ctx, err::kWrongType);
  }
  return rm::ReplyWithSimpleString(ctx, "OK");
}

}  // namespace

int ReplyDag(RedisModuleCtx* ctx, const Job& job) {
  if (job.result == JobResult::TimedOut) return rm::ReplyWithSimpleString(ctx, "TIMEDOUT");
  const Dag& dag = *job.dag;
  rm::ReplyWithArray(ctx, rm::POSTPONED_LEN);
  long n = 0;
  for (const DagOp& op : dag.ops) {
    ++n;
    if (op.kind == DagOp::Kind::TensorSet) {
      rm::ReplyWithSimpleString(ctx, "OK");
    } else if (op.kind == DagOp::Kind::TensorGet) {
      const TensorPtr& t = dag.slots[op.slot];
      if (!t) {
        rm::ReplyWithSimpleString(ctx, "NA");
        continue;
      }
      tensor_io::GetFormat format{op.meta, op.blob, op.values};
      tensor_io::Reply(ctx, *t, format);
    } else if (op.step < job.next) {
      rm::ReplyWithSimpleString(ctx, "OK");
    } else if (op.step == job.failed) {
      err::ReplyError(ctx, job.error);
    } else {
      rm::ReplyWithSimpleString(ctx, "NA");
    }
  }
  if (job.result != JobResult::Error) {
    // PERSIST: the first failed write adds one error element and stops (spec §2.15).
    for (const auto& [key, slot] : dag.persist) {
      if (!WriteOutput(ctx, key, dag.slots[slot])) {
        err::ReplyError(ctx, err::kWrongType);
        ++n;
        break;
      }
    }
  }
  rm::ReplySetArrayLength(ctx, n);
  return rm::OK;
}

bool InTransaction(RedisModuleCtx* ctx) {
  return (rm::GetContextFlags(ctx) & (rm::CTX_FLAGS_MULTI | rm::CTX_FLAGS_LUA)) != 0;
}

// Reads each input key (KT / W) into a snapshot; replies and returns false on error.
bool CaptureInputs(RedisModuleCtx* ctx, RedisModuleString* const* names, int n,
                   std::vector<TensorPtr>* out) {
  for (int i = 0; i < n; ++i) {
    keys::Key key(ctx, names[i], rm::READ);
    keys::Kind kind = key.kind();
    if (kind == keys::Kind::Empty) {
      err::ReplyError(ctx, err::kTensorKeyEmpty);
      return false;
    }
    if (kind != keys::Kind::Tensor) {
      err::ReplyError(ctx, err::kWrongType);
      return false;
    }
    out->push_back(key.tensor());
  }
  return true;
}

int Submit(RedisModuleCtx* ctx, const std::string& device, const JobPtr& job) {
  job->client = rm::BlockClient(ctx, ReplyJob, nullptr, FreeJob, 0);
  if (job->client == nullptr) return err::ReplyError(ctx, err::kQueueInit);
  queues::Enqueue(device, job);
  return rm::OK;
}

void InstallCompletion() { queues::SetCompletion(CompleteOnMainThread); }

}  // namespace rai::exec
