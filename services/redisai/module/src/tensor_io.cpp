// Tensor argument parsing and TENSORGET replies (spec §1, §2.1, §2.2).
#include "tensor_io.h"

#include <cstring>
#include <cstdint>

#include "args.h"
#include "config.h"
#include "errors.h"
#include "rm_api.h"

namespace rai::tensor_io {

namespace {

template <typename T>
void Put(std::string* data, size_t i, T v) {
  std::memcpy(data->data() + i * sizeof(T), &v, sizeof(T));
}

template <typename T>
T Get(const std::string& data, size_t i) {
  T v;
  std::memcpy(&v, data.data() + i * sizeof(T), sizeof(T));
  return v;
}

// Integer range of a dtype. Signed dtypes accept negatives (deviation from Q1, see README).
bool IntRange(DType d, long long* lo, long long* hi) {
  switch (d) {
    case DType::Int8: *lo = -128; *hi = 127; return true;
    case DType::Int16: *lo = -32768; *hi = 32767; return true;
    case DType::Int32: *lo = INT32_MIN; *hi = INT32_MAX; return true;
    case DType::Int64: *lo = INT64_MIN; *hi = INT64_MAX; return true;
    case DType::UInt8: *lo = 0; *hi = 255; return true;
    case DType::UInt16: *lo = 0; *hi = 65535; return true;
    case DType::Bool: *lo = 0; *hi = 1; return true;
    default: return false;
  }
}

// Fills t->data from VALUES arguments; returns an error text or nullptr.
const char* FromValues(Tensor* t, RedisModuleString** values, size_t n) {
  if (t->dtype == DType::String) {
    for (size_t i = 0; i < n; ++i) {
      std::string_view v = args::View(values[i]);
      if (!v.empty() && v.back() == '\0') v.remove_suffix(1);
      if (v.empty()) return err::kInvalidValue;  // Q8: empty STRING value
      if (v.find('\0') != std::string_view::npos) return err::kNulInString;
      t->data.append(v);
      t->data.push_back('\0');
    }
    IndexStrings(t);
    return nullptr;
  }
  t->data.assign(n * Info(t->dtype).size, '\0');
  for (size_t i = 0; i < n; ++i) {
    if (t->dtype == DType::Float || t->dtype == DType::Double) {
      double d = 0;
      if (rm::StringToDouble(values[i], &d) != rm::OK) return err::kInvalidValue;
      if (t->dtype == DType::Float) Put(&t->data, i, static_cast<float>(d));
      else Put(&t->data, i, d);
      continue;
    }
    long long v = 0, lo = 0, hi = 0;
    IntRange(t->dtype, &lo, &hi);
    if (!args::ParseInt(values[i], &v) || v < lo || v > hi) return err::kInvalidValue;
    switch (t->dtype) {
      case DType::Int8: Put(&t->data, i, static_cast<int8_t>(v)); break;
      case DType::Int16: Put(&t->data, i, static_cast<int16_t>(v)); break;
      case DType::Int32: Put(&t->data, i, static_cast<int32_t>(v)); break;
      case DType::Int64: Put(&t->data, i, static_cast<int64_t>(v)); break;
      case DType::UInt8: Put(&t->data, i, static_cast<uint8_t>(v)); break;
      case DType::UInt16: Put(&t->data, i, static_cast<uint16_t>(v)); break;
      case DType::Bool: Put(&t->data, i, static_cast<uint8_t>(v)); break;
      default: break;
    }
  }
  return nullptr;
}

// Checks a BLOB against the shape; returns an error text or nullptr.
const char* FromBlob(Tensor* t, std::string_view blob, uint64_t count) {
  t->data.assign(blob);
  if (t->dtype == DType::String) return IndexStrings(t) ? nullptr : err::kStringBlob;
  if (blob.size() != count * Info(t->dtype).size) return err::kBlobLength;
  if (t->dtype == DType::Bool) {
    // Every byte is checked (the reference skips the last one, Q2).
    for (char c : blob) {
      if (c != 0 && c != 1) return err::kBoolValues;
    }
  }
  return nullptr;
}

void ReplyValues(RedisModuleCtx* ctx, const Tensor& t) {
  size_t n = t.Count();
  rm::ReplyWithArray(ctx, static_cast<long>(n));
  for (size_t i = 0; i < n; ++i) {
    switch (t.dtype) {
      case DType::Float: rm::ReplyWithDouble(ctx, Get<float>(t.data, i)); break;
      case DType::Double: rm::ReplyWithDouble(ctx, Get<double>(t.data, i)); break;
      case DType::Int8: rm::ReplyWithLongLong(ctx, Get<int8_t>(t.data, i)); break;
      case DType::Int16: rm::ReplyWithLongLong(ctx, Get<int16_t>(t.data, i)); break;
      case DType::Int32: rm::ReplyWithLongLong(ctx, Get<int32_t>(t.data, i)); break;
      case DType::Int64: rm::ReplyWithLongLong(ctx, Get<int64_t>(t.data, i)); break;
      case DType::UInt8: rm::ReplyWithLongLong(ctx, Get<uint8_t>(t.data, i)); break;
      case DType::UInt16: rm::ReplyWithLongLong(ctx, Get<uint16_t>(t.data, i)); break;
      case DType::Bool: rm::ReplyWithLongLong(ctx, Get<uint8_t>(t.data, i)); break;
      case DType::String: {
        std::string_view s = t.StringAt(i);
        rm::ReplyWithStringBuffer(ctx, s.data(), s.size());
        break;
      }
    }
  }
}

void ReplyBulk(RedisModuleCtx* ctx, std::string_view s) {
  rm::ReplyWithStringBuffer(ctx, s.data(), s.size());
}

void ReplyMeta(RedisModuleCtx* ctx, const Tensor& t) {
  ReplyBulk(ctx, "dtype");
  ReplyBulk(ctx, Info(t.dtype).name);
  ReplyBulk(ctx, "shape");
  rm::ReplyWithArray(ctx, static_cast<long>(t.shape.size()));
  for (int64_t d : t.shape) rm::ReplyWithLongLong(ctx, d);
}

}  // namespace

const char* Parse(RedisModuleString** argv, int argc, std::shared_ptr<Tensor>* out) {
  auto t = std::make_shared<Tensor>();
  auto dtype = ParseDType(args::View(argv[0]));
  if (!dtype) return err::kInvalidDType;
  t->dtype = *dtype;
  int pos = 1;
  for (; pos < argc && !args::Is(argv[pos], "BLOB") && !args::Is(argv[pos], "VALUES"); ++pos) {
    long long d = 0;
    if (!args::ParseInt(argv[pos], &d) || d <= 0) return err::kBadShape;
    t->shape.push_back(d);
  }
  std::optional<uint64_t> count = ElementCount(t->shape);
  std::optional<uint64_t> bytes = count ? ByteSize(t->dtype, *count) : std::nullopt;
  if (!bytes || *bytes > config().tensor_max_bytes) return err::kTensorTooLarge;

  const char* error = nullptr;
  if (pos == argc) {
    t->data.assign(*bytes, '\0');  // zero-filled; for STRING one NUL (empty string) each
    if (t->dtype == DType::String) IndexStrings(t.get());
  } else if (args::Is(argv[pos], "BLOB")) {
    if (argc - pos - 1 != 1) return err::kSingleBlob;
    error = FromBlob(t.get(), args::View(argv[pos + 1]), *count);
  } else {
    size_t n = static_cast<size_t>(argc - pos - 1);
    if (n != *count) return err::kValueCount;
    error = FromValues(t.get(), argv + pos + 1, n);
  }
  if (error) return error;
  *out = std::move(t);
  return nullptr;
}

const char* ParseFormat(RedisModuleString** flags, int n, GetFormat* out) {
  bool& meta = out->meta;
  bool& blob = out->blob;
  bool& values = out->values;
  for (int i = 0; i < n; ++i) {
    if (args::Is(flags[i], "META")) meta = true;
    else if (args::Is(flags[i], "BLOB")) blob = true;
    else if (args::Is(flags[i], "VALUES")) values = true;
    else return err::kDataFormat;
  }
  if (blob && values && !meta) return err::kBlobAndValues;
  if (!meta && !blob && !values) meta = blob = true;
  return nullptr;
}

void Reply(RedisModuleCtx* ctx, const Tensor& t, const GetFormat& format) {
  const bool meta = format.meta, blob = format.blob, values = format.values;
  if (!meta && blob) {
    rm::ReplyWithStringBuffer(ctx, t.data.data(), t.data.size());
    return;
  }
  if (!meta) {
    ReplyValues(ctx, t);
    return;
  }
  rm::ReplyWithArray(ctx, blob || values ? 6 : 4);
  ReplyMeta(ctx, t);
  if (values) {
    ReplyBulk(ctx, "values");
    ReplyValues(ctx, t);
  } else if (blob) {
    ReplyBulk(ctx, "blob");
    rm::ReplyWithStringBuffer(ctx, t.data.data(), t.data.size());
  }
}

}  // namespace rai::tensor_io
