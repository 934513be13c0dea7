#include "core/registries.h"

namespace graft {

std::vector<std::string>& pending_registration_errors() {
  static std::vector<std::string> errors;
  return errors;
}

std::string& current_registration_origin() {
  static std::string origin = "built-in";
  return origin;
}

MethodRegistry& method_registry() {
  static MethodRegistry registry("method");
  return registry;
}

ModelRegistry& model_registry() {
  static ModelRegistry registry("model");
  return registry;
}

DatasetRegistry& dataset_registry() {
  static DatasetRegistry registry("dataset");
  return registry;
}

OptimizerRegistry& optimizer_registry() {
  static OptimizerRegistry registry("optimizer");
  return registry;
}

ScheduleRegistry& schedule_registry() {
  static ScheduleRegistry registry("schedule");
  return registry;
}

TransformRegistry& transform_registry() {
  static TransformRegistry registry("transform");
  return registry;
}

std::vector<RegistryBase*> all_registries() {
  return {&method_registry(),    &model_registry(),    &dataset_registry(),
          &optimizer_registry(), &schedule_registry(), &transform_registry()};
}

}  // namespace graft
