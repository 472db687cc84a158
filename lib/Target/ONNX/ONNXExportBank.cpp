//===- ONNXExportBank.cpp - routed adapter banks as standard ONNX ---------===//
//
// A routed `peft.lora_bank` exports as standard ai.onnx operators (opset 11
// and later; no contrib ops) that keep its per-row routing: each row group g
// (the input's rows split into G = len(task_ids) equal consecutive groups)
// gathers the rows of A and the columns of B of its task t, padded to the
// largest rank R, and takes the two skinny products as one batched MatMul
// over the groups:
//
//   valid  = 0 <= ids < T,  t = valid ? ids : 0            [G]
//   r, o, s = valid ? rank[t] : 0, start[t], scale[t]      [G]
//   k = Range(0, R),  mask = k < r                         [G, R]
//   idx = mask ? o + k : 0,  c = mask ? s : 0              [G, R]
//   Aᵀ_g = Gather(A, idx)ᵀ [G, in, R],  Bᵀ_g = Gather(B, idx, axis 1)ᵀ
//   u = ((x as [G, n, in]) · Aᵀ_g ⊙ c) · Bᵀ_g              [G, n, out]
//   y = base + u as base's shape
//
// The padded columns of x·Aᵀ_g are multiplied by exact zeros, so every group
// gets its task's own-rank update up to the fp32 summation order, and a group
// whose id is −1 or out of range gets `base`. A static bank's starts, ranks
// and scales are initializers and R its largest rank; a runtime bank's come
// from its rank_offsets and task_scales inputs and R is the largest rank of
// the tasks loaded, computed at run time. Only the gathered slices are ever
// copied, never the whole stack; B·A is never formed.
//
//===----------------------------------------------------------------------===//

#include "ONNXExportImpl.h"

using namespace mlir;
using namespace mlir::peft;
using namespace mlir::peft::detail;

LogicalResult ONNXExporter::exportLoraBank(LoraBankOp op, StringRef scope,
                                           onnx::GraphProto &graph) {
  Location loc = op.getLoc();
  if (!op.getTaskIds())
    return op.emitError("cannot export an unrouted adapter bank to ONNX: "
                        "route it or select a task first (peft-route-tasks, "
                        "peft-select-task)");
  if (int64_t opset = opsetVersion(); opset < 11)
    return op.emitError("exporting an adapter bank needs ai.onnx opset 11 or "
                        "later (Range); the model imports opset ")
           << opset;
  int64_t numTasks = op.getNumTasks();
  int64_t in = op.getLoraA().getType().getDimSize(1);
  int64_t out = op.getLoraB().getType().getDimSize(0);
  if (ShapedType::isDynamic(numTasks) || ShapedType::isDynamic(in) ||
      ShapedType::isDynamic(out))
    return op.emitError("exporting an adapter bank needs a static number of "
                        "tasks and static input and output features");

  Builder builder(module.getContext());
  Type i64 = builder.getI64Type();
  auto ints = [&](StringRef name, ArrayRef<int64_t> values,
                  bool scalar = false) {
    auto type = RankedTensorType::get(
        scalar ? ArrayRef<int64_t>{}
               : ArrayRef<int64_t>{int64_t(values.size())},
        i64);
    return addInitializer(
        graph, (scope + "/" + name).str(),
        cast<ElementsAttr>(DenseElementsAttr::get(type, values)), loc);
  };
  auto node = [&](StringRef opType, StringRef what,
                  ArrayRef<std::string> inputs) {
    return addNode(graph, opType, scope + "/" + what + "/" + opType, inputs);
  };
  auto withInts = [&](StringRef opType, StringRef what,
                      ArrayRef<std::string> inputs, StringRef attr,
                      ArrayRef<int64_t> values, bool list) {
    onnx::NodeProto *created;
    std::string result = addNode(
        graph, opType, scope + "/" + what + "/" + opType, inputs, &created);
    if (list)
      addIntsAttribute(*created, attr, values);
    else
      addIntAttribute(*created, attr, values.front());
    return result;
  };

  FailureOr<std::string> zero = ints("zero", {0}, /*scalar=*/true);
  FailureOr<std::string> one = ints("one", {1}, /*scalar=*/true);
  FailureOr<std::string> none = ints("no_task", {-1}, /*scalar=*/true);
  FailureOr<std::string> tasks = ints("num_tasks", {numTasks}, /*scalar=*/true);
  FailureOr<std::string> column = ints("column", {-1, 1});
  FailureOr<std::string> groupRows = ints("group_rows", {-1, in});
  FailureOr<std::string> broadcastRows = ints("broadcast_rows", {0, 1, -1});
  FailureOr<std::string> zeroScale =
      addScalar(graph, (scope + "/zero_scale").str(),
                op.getBase().getType().getElementType(), 0.0, loc);
  if (failed(zero) || failed(one) || failed(none) || failed(tasks) ||
      failed(column) || failed(groupRows) || failed(broadcastRows) ||
      failed(zeroScale))
    return failure();

  // Each task's first row in the stack, rank and scale, and the largest rank.
  std::string starts, ranks, scales, maxRank;
  if (op.isRuntime()) {
    std::string offsets = nameOf(op.getRankOffsets());
    FailureOr<std::string> first = ints("first", {0});
    FailureOr<std::string> second = ints("second", {1});
    FailureOr<std::string> last = ints("last", {numTasks});
    FailureOr<std::string> end = ints("end", {numTasks + 1});
    if (failed(first) || failed(second) || failed(last) || failed(end))
      return failure();
    starts = node("Slice", "offsets", {offsets, *first, *last});
    std::string ends = node("Slice", "offsets", {offsets, *second, *end});
    ranks = node("Sub", "offsets", {ends, starts});
    maxRank = withInts("ReduceMax", "offsets", {ranks}, "keepdims", {0},
                       /*list=*/false);
    scales = nameOf(op.getTaskScales());
  } else {
    SmallVector<int64_t> offsets = op.getRankOffsetValues();
    ArrayRef<int64_t> taskRanks = op.getRanksAttr().asArrayRef();
    int64_t largest = 0;
    for (int64_t rank : taskRanks)
      largest = std::max(largest, rank);
    Type elementType = op.getBase().getType().getElementType();
    SmallVector<Attribute> scaleAttrs;
    for (double scale : op.getScalesAttr().asArrayRef())
      scaleAttrs.push_back(builder.getFloatAttr(elementType, scale));
    auto scaleType = RankedTensorType::get({numTasks}, elementType);
    FailureOr<std::string> startsInit =
        ints("starts", ArrayRef<int64_t>(offsets).drop_back());
    FailureOr<std::string> ranksInit = ints("ranks", taskRanks);
    FailureOr<std::string> maxRankInit =
        ints("max_rank", {largest}, /*scalar=*/true);
    FailureOr<std::string> scalesInit = addInitializer(
        graph, (scope + "/scales").str(),
        cast<ElementsAttr>(DenseElementsAttr::get(scaleType, scaleAttrs)), loc);
    if (failed(startsInit) || failed(ranksInit) || failed(maxRankInit) ||
        failed(scalesInit))
      return failure();
    starts = *startsInit;
    ranks = *ranksInit;
    maxRank = *maxRankInit;
    scales = *scalesInit;
  }

  // Routing: each group's task (clamped), rank (0 without a task), first
  // row and scale; the padded rank index k, its mask and the row indices.
  std::string ids = nameOf(op.getTaskIds());
  std::string valid = node("And", "route",
                           {node("Greater", "route", {ids, *none}),
                            node("Less", "route", {ids, *tasks})});
  std::string task = node("Where", "route", {valid, ids, *zero});
  std::string rank = node(
      "Where", "route", {valid, node("Gather", "route", {ranks, task}), *zero});
  std::string start = node("Gather", "route", {starts, task});
  std::string scale = node("Gather", "route", {scales, task});
  std::string k = node("Range", "route", {*zero, maxRank, *one});
  std::string mask =
      node("Less", "route", {k, node("Reshape", "route", {rank, *column})});
  std::string rows = node(
      "Where", "route",
      {mask,
       node("Add", "route", {node("Reshape", "route", {start, *column}), k}),
       *zero});
  std::string coefficients =
      node("Where", "route",
           {mask, node("Reshape", "route", {scale, *column}), *zeroScale});

  // The two batched skinny products over the groups.
  std::string aT =
      withInts("Transpose", "lora_A",
               {withInts("Gather", "lora_A", {nameOf(op.getLoraA()), rows},
                         "axis", {0}, /*list=*/false)},
               "perm", {0, 2, 1}, /*list=*/true);
  std::string bT =
      withInts("Transpose", "lora_B",
               {withInts("Gather", "lora_B", {nameOf(op.getLoraB()), rows},
                         "axis", {1}, /*list=*/false)},
               "perm", {1, 2, 0}, /*list=*/true);
  std::string groupShape =
      withInts("Concat", "lora_A", {node("Shape", "lora_A", {ids}), *groupRows},
               "axis", {0},
               /*list=*/false);
  std::string x =
      node("Reshape", "lora_A", {nameOf(op.getInput()), groupShape});
  std::string t = node("MatMul", "lora_A", {x, aT});
  t = node("Mul", "lora_A",
           {t, node("Reshape", "lora_A", {coefficients, *broadcastRows})});
  std::string u = node("MatMul", "lora_B", {t, bT});
  std::string base = nameOf(op.getBase());
  u = node("Reshape", "lora_B", {u, node("Shape", "lora_B", {base})});
  names[op.getResult()] = addNode(graph, "Add", scope + "/Add", {base, u},
                                  nullptr, graphOutputName(op.getResult()));
  return success();
}
