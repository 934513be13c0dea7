#pragma once
// The registries. Declared without torch so that configuration code can
// validate an experiment without compiling libtorch headers.

#include "core/registry.h"

namespace torch::optim {
class Optimizer;
}

namespace graft {

class Strategy;
class Backbone;
struct DataSet;
struct DataContext;
struct ModelContext;
struct ParameterGroups;
class Schedule;
class Transform;

using MethodRegistry = Registry<Strategy>;
using ModelRegistry = Registry<Backbone, const ModelContext&>;
using DatasetRegistry = Registry<DataSet, const DataContext&>;
using OptimizerRegistry = Registry<torch::optim::Optimizer, const ParameterGroups&>;
using ScheduleRegistry = Registry<Schedule>;
using TransformRegistry = Registry<Transform>;

MethodRegistry& method_registry();
ModelRegistry& model_registry();
DatasetRegistry& dataset_registry();
OptimizerRegistry& optimizer_registry();
ScheduleRegistry& schedule_registry();
TransformRegistry& transform_registry();

}  // namespace graft

/// One registration line per component, in the component's .cpp file.
#define GRAFT_REGISTER_METHOD(Impl, name, help) GRAFT_REGISTER(::graft::method_registry, Impl, name, help)
#define GRAFT_REGISTER_MODEL(Impl, name, help) GRAFT_REGISTER(::graft::model_registry, Impl, name, help)
#define GRAFT_REGISTER_DATASET(Impl, name, help) GRAFT_REGISTER(::graft::dataset_registry, Impl, name, help)
#define GRAFT_REGISTER_OPTIMIZER(Impl, name, help) GRAFT_REGISTER(::graft::optimizer_registry, Impl, name, help)
#define GRAFT_REGISTER_SCHEDULE(Impl, name, help) GRAFT_REGISTER(::graft::schedule_registry, Impl, name, help)
#define GRAFT_REGISTER_TRANSFORM(Impl, name, help) GRAFT_REGISTER(::graft::transform_registry, Impl, name, help)
