// Dtype table and shape arithmetic for the tensor value.
#include "tensor.h"

#include <array>

#include "args.h"

namespace rai {

namespace {

constexpr std::array<DTypeInfo, 10> kTable{{
    {DType::Float, "FLOAT", 4, 2, 32},
    {DType::Double, "DOUBLE", 8, 2, 64},
    {DType::Int8, "INT8", 1, 0, 8},
    {DType::Int16, "INT16", 2, 0, 16},
    {DType::Int32, "INT32", 4, 0, 32},
    {DType::Int64, "INT64", 8, 0, 64},
    {DType::UInt8, "UINT8", 1, 1, 8},
    {DType::UInt16, "UINT16", 2, 1, 16},
    {DType::Bool, "BOOL", 1, 6, 8},
    {DType::String, "STRING", 1, 7, 8},
}};

}  // namespace

const DTypeInfo& Info(DType d) { return kTable[static_cast<size_t>(d)]; }

std::optional<DType> ParseDType(std::string_view name) {
  for (const auto& e : kTable) {
    if (args::EqualsIgnoreCase(name, e.name)) return e.dtype;
  }
  return std::nullopt;
}

std::optional<DType> DTypeFromRdb(uint64_t code, uint64_t bits) {
  for (const auto& e : kTable) {
    if (e.rdb_code == code && e.rdb_bits == bits) return e.dtype;
  }
  return std::nullopt;
}

std::optional<uint64_t> ElementCount(const std::vector<int64_t>& shape) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d <= 0) return std::nullopt;
    if (__builtin_mul_overflow(n, static_cast<uint64_t>(d), &n)) return std::nullopt;
  }
  return n;
}

std::optional<uint64_t> ByteSize(DType dtype, uint64_t count) {
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(count, Info(dtype).size, &bytes)) return std::nullopt;
  return bytes;
}

size_t Tensor::Count() const { return static_cast<size_t>(ElementCount(shape).value_or(0)); }

std::string_view Tensor::StringAt(size_t i) const {
  uint64_t start = offsets[i];
  uint64_t end = i + 1 < offsets.size() ? offsets[i + 1] : data.size();
  return std::string_view(data).substr(start, end - start - 1);
}

bool IndexStrings(Tensor* t) {
  t->offsets.clear();
  const std::string& d = t->data;
  if (d.empty() || d.back() != '\0') return false;
  uint64_t start = 0;
  for (uint64_t i = 0; i < d.size(); ++i) {
    if (d[i] == '\0') {
      t->offsets.push_back(start);
      start = i + 1;
    }
  }
  return t->offsets.size() == t->Count();
}

}  // namespace rai
