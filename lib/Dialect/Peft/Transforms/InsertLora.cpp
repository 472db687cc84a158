//===- InsertLora.cpp - attach new LoRA adapters to linear layers ---------===//
//
// Implements peft-insert-lora: selects linear layers the way Hugging Face
// PEFT's LoraConfig does and attaches freshly initialized adapters.
//
//===----------------------------------------------------------------------===//

#include "LoraUtils.h"
#include "peft/Dialect/ONNX/IR/ONNXOps.h"
#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"
#include "peft/Dialect/Peft/Utils/Weights.h"
#include "peft/Support/AdapterConfig.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringExtras.h"

#include <cmath>
#include <lapacke.h>
#include <random>

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTINSERTLORA
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;

namespace {

enum class InitKind { Zeros, Gaussian, Kaiming, PiSSA, OLoRA };

std::optional<InitKind> parseInit(StringRef s) {
  return llvm::StringSwitch<std::optional<InitKind>>(s)
      .Case("zeros", InitKind::Zeros)
      .Case("gaussian", InitKind::Gaussian)
      .Case("kaiming", InitKind::Kaiming)
      .Case("pissa", InitKind::PiSSA)
      .Case("olora", InitKind::OLoRA)
      .Default(std::nullopt);
}

/// Whether `value` reaches a function result through nothing but
/// shape-preserving data movement: the model's output head, which PEFT's
/// `all-linear` leaves out.
bool isOutputHead(Value value) {
  SmallVector<Value> work = {value};
  DenseSet<Value> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    for (Operation *user : v.getUsers()) {
      if (isa<func::ReturnOp>(user))
        return true;
      if (isa<LoraOp, IA3Op, onnx_ir::ReshapeOp, onnx_ir::TransposeOp,
              onnx_ir::CastOp, onnx_ir::IdentityOp>(user))
        llvm::append_range(work, user->getResults());
    }
  }
  return false;
}

/// A = [r, in], B = [out, r] (row-major) and, for PiSSA/OLoRA, the new base
/// weight (row-major [out, in]).
struct LoraInit {
  std::vector<float> a, b, residual;
};

/// Thin SVD W = U Σ Vᵀ of a row-major [out, in] matrix in double precision;
/// returns (U [out,k], Σ [k], Vᵀ [k,in]) with k = min(out, in).
LogicalResult svd(ArrayRef<float> w, int64_t out, int64_t in,
                  std::vector<double> &u, std::vector<double> &sigma,
                  std::vector<double> &vt) {
  int64_t k = std::min(out, in);
  std::vector<double> a(w.begin(), w.end());
  u.assign(out * k, 0);
  sigma.assign(k, 0);
  vt.assign(k * in, 0);
  lapack_int info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'S', out, in, a.data(), in,
                                   sigma.data(), u.data(), k, vt.data(), in);
  return success(info == 0);
}

/// Thin QR W = Q R of a row-major [out, in] matrix in double precision;
/// returns (Q [out,k], R [k,in]) with k = min(out, in).
LogicalResult qr(ArrayRef<float> w, int64_t out, int64_t in,
                 std::vector<double> &q, std::vector<double> &r) {
  int64_t k = std::min(out, in);
  std::vector<double> a(w.begin(), w.end()), tau(k);
  if (LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, out, in, a.data(), in, tau.data()) != 0)
    return failure();
  r.assign(k * in, 0);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = i; j < in; ++j)
      r[i * in + j] = a[i * in + j];
  // Q: the first k columns of the reflector product.
  q.assign(out * k, 0);
  for (int64_t i = 0; i < out; ++i)
    for (int64_t j = 0; j < k; ++j)
      q[i * k + j] = a[i * in + j];
  if (LAPACKE_dorgqr(LAPACK_ROW_MAJOR, out, k, k, q.data(), k, tau.data()) != 0)
    return failure();
  return success();
}

struct PeftInsertLoraPass
    : public peft::impl::PeftInsertLoraBase<PeftInsertLoraPass> {
  using Base::Base;

  void runOnOperation() override;

private:
  /// Draws the adapter of one layer; `w` is its [out, in] weight (read only
  /// for PiSSA/OLoRA).
  FailureOr<LoraInit> initAdapter(LinearOp linear, InitKind kind, int64_t rank,
                                  double scale, std::mt19937_64 &rng);
};

FailureOr<LoraInit> PeftInsertLoraPass::initAdapter(LinearOp linear,
                                                    InitKind kind, int64_t rank,
                                                    double scale,
                                                    std::mt19937_64 &rng) {
  int64_t in = linear.getInFeatures(), out = linear.getOutFeatures();
  LoraInit init;
  init.a.assign(rank * in, 0.0f);
  init.b.assign(out * rank, 0.0f);
  switch (kind) {
  case InitKind::Zeros:
    return init;
  case InitKind::Kaiming: {
    // kaiming_uniform_(a=√5) on [r, in]: bound = gain·√(3/fan_in) = 1/√in.
    std::uniform_real_distribution<float> dist(-1.0f / std::sqrt(float(in)),
                                               1.0f / std::sqrt(float(in)));
    for (float &v : init.a)
      v = dist(rng);
    return init;
  }
  case InitKind::Gaussian: {
    std::normal_distribution<float> dist(0.0f, 1.0f / float(rank));
    for (float &v : init.a)
      v = dist(rng);
    return init;
  }
  case InitKind::PiSSA:
  case InitKind::OLoRA:
    break;
  }

  FailureOr<std::vector<float>> w = readWeightOutIn(linear);
  if (failed(w))
    return failure();
  if (rank > std::min(in, out))
    return linear.emitError()
           << "rank " << rank << " exceeds min(in, out) = " << std::min(in, out)
           << " of layer " << describeLayer(linear) << ": "
           << (kind == InitKind::PiSSA ? "PiSSA" : "OLoRA")
           << " takes the adapter from the weight's factors";
  if (kind == InitKind::PiSSA) {
    // W = U Σ Vᵀ; B = U_r √(Σ_r/s), A = √(Σ_r/s) V_rᵀ.
    std::vector<double> u, sigma, vt;
    if (failed(svd(*w, out, in, u, sigma, vt)))
      return linear.emitError() << "SVD of the weight of layer "
                                << describeLayer(linear) << " did not converge";
    int64_t k = std::min(out, in);
    for (int64_t j = 0; j < rank; ++j) {
      double root = std::sqrt(sigma[j] / scale);
      for (int64_t o = 0; o < out; ++o)
        init.b[o * rank + j] = static_cast<float>(u[o * k + j] * root);
      for (int64_t i = 0; i < in; ++i)
        init.a[j * in + i] = static_cast<float>(root * vt[j * in + i]);
    }
  } else {
    // W = Q R; B = Q[:, :r], A = R[:r].
    std::vector<double> q, r;
    if (failed(qr(*w, out, in, q, r)))
      return linear.emitError() << "QR of the weight of layer "
                                << describeLayer(linear) << " failed";
    int64_t k = std::min(out, in);
    for (int64_t j = 0; j < rank; ++j) {
      for (int64_t o = 0; o < out; ++o)
        init.b[o * rank + j] = static_cast<float>(q[o * k + j]);
      for (int64_t i = 0; i < in; ++i)
        init.a[j * in + i] = static_cast<float>(r[j * in + i]);
    }
  }
  // The base becomes W − s·B·A (B and A as stored, so that base + s·B·A
  // reconstructs W up to one rounding).
  std::vector<float> delta = loraDelta(init.a, init.b, out, in, rank, scale);
  init.residual = std::move(*w);
  for (size_t k = 0; k < delta.size(); ++k)
    init.residual[k] -= delta[k];
  return init;
}

void PeftInsertLoraPass::runOnOperation() {
  Operation *root = getOperation();
  std::optional<InitKind> kind = parseInit(init);
  if (!kind) {
    emitError(root->getLoc())
        << "peft-insert-lora: unknown init '" << init
        << "' (expected zeros, gaussian, kaiming, pissa or "
           "olora)";
    return signalPassFailure();
  }
  if (rank <= 0 || !std::isfinite(alpha)) {
    emitError(root->getLoc()) << "peft-insert-lora: rank must be > 0 and alpha "
                                 "finite (got rank="
                              << rank << ", alpha=" << alpha << ")";
    return signalPassFailure();
  }
  if (targets.empty() && targetRegex.empty() && roles.empty()) {
    emitError(root->getLoc()) << "peft-insert-lora: no layers selected: give "
                                 "targets=, target-regex= or roles=";
    return signalPassFailure();
  }
  SmallVector<LinearRole> roleSet;
  for (const std::string &role : roles) {
    std::optional<LinearRole> parsed = symbolizeLinearRole(role);
    if (!parsed) {
      emitError(root->getLoc())
          << "peft-insert-lora: unknown role '" << role
          << "' (expected q, k, v, o, qkv, gate, up, down or "
             "other)";
      return signalPassFailure();
    }
    roleSet.push_back(*parsed);
  }
  bool allLinear = llvm::is_contained(targets, "all-linear");
  SmallVector<std::string> names;
  for (const std::string &t : targets)
    if (t != "all-linear")
      names.push_back(t);
  if (!targetRegex.empty()) {
    if (auto translated = translatePythonRegex(targetRegex); !translated) {
      emitError(root->getLoc())
          << "peft-insert-lora: bad target-regex '" << targetRegex
          << "': " << llvm::toString(translated.takeError());
      return signalPassFailure();
    }
  }
  std::vector<std::pair<std::string, int64_t>> rankMap;
  std::vector<std::pair<std::string, double>> alphaMap;
  auto parseEntries = [&](ArrayRef<std::string> entries, StringRef option,
                          auto &map) -> LogicalResult {
    for (StringRef entry : entries) {
      auto [key, value] = entry.rsplit('=');
      double parsed;
      if (key.empty() || value.getAsDouble(parsed) || !std::isfinite(parsed) ||
          parsed <= 0) {
        emitError(root->getLoc())
            << "peft-insert-lora: bad " << option << " entry '" << entry
            << "' (expected 'regex=value', value > 0)";
        return failure();
      }
      using T = typename std::decay_t<decltype(map)>::value_type::second_type;
      map.emplace_back(key.str(), static_cast<T>(parsed));
    }
    return success();
  };
  if (failed(parseEntries(rankPattern, "rank-pattern", rankMap)) ||
      failed(parseEntries(alphaPattern, "alpha-pattern", alphaMap)))
    return signalPassFailure();

  SmallVector<LinearOp> selected;
  root->walk([&](LinearOp linear) {
    StringRef path = linear.getPath() ? *linear.getPath() : StringRef();
    bool take = llvm::is_contained(roleSet, linear.getRole()) ||
                (allLinear && !isOutputHead(linear.getResult())) ||
                (!path.empty() && matchesModuleList(names, path)) ||
                (!path.empty() && !targetRegex.empty() &&
                 fullMatchPythonRegex(targetRegex, path));
    if (take)
      selected.push_back(linear);
  });
  if (selected.empty()) {
    emitError(root->getLoc()) << "peft-insert-lora: the selection matches no "
                                 "peft.linear (run peft-raise-linear first?)";
    return signalPassFailure();
  }

  std::mt19937_64 rng(seed);
  unsigned index = 0;
  for (LinearOp linear : selected) {
    StringRef path = linear.getPath() ? *linear.getPath() : StringRef();
    RankAndAlpha ra = resolveRankAndAlpha(rankMap, alphaMap, rank, alpha, path);
    int64_t r = ra.rank;
    double scale = loraScale(ra.alpha, r, rslora);
    FailureOr<LoraInit> init = initAdapter(linear, *kind, r, scale, rng);
    if (failed(init))
      return signalPassFailure();
    if (!init->residual.empty() &&
        failed(replaceWeight(linear, init->residual, ".residual")))
      return signalPassFailure();

    std::string prefix =
        path.empty() ? ("linear_" + llvm::Twine(index)).str() : path.str();
    ++index;
    Value top = getAdapterStackTop(linear);
    OpBuilder builder(linear->getContext());
    builder.setInsertionPointAfterValue(top);
    Location loc = linear.getLoc();
    Type elementType = linear.getResult().getType().getElementType();
    int64_t in = linear.getInFeatures(), out = linear.getOutFeatures();
    auto aType = RankedTensorType::get({r, in}, elementType);
    auto bType = RankedTensorType::get({out, r}, elementType);
    Value aValue = createWeight(builder, loc,
                                prefix + ".lora_A." + adapterName + ".weight",
                                aType, init->a);
    Value bValue = createWeight(builder, loc,
                                prefix + ".lora_B." + adapterName + ".weight",
                                bType, init->b);
    auto lora = LoraOp::create(
        builder, loc, top.getType(), linear.getInput(), top, aValue, bValue,
        /*magnitude=*/Value(), /*weight_norm=*/Value(),
        builder.getF64FloatAttr(scale), builder.getStringAttr(adapterName));
    top.replaceAllUsesExcept(lora.getResult(), lora);
  }
}

} // namespace
