#pragma once
// graft's version. Plugins record the version they were built against and are
// refused when it differs (see GRAFT_PLUGIN_ABI).

#define GRAFT_VERSION "0.1.0"
