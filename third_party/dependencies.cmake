# Build glue for graft's outside dependencies (all from Debian packages; see
# README "Dependencies"). Defines graft::dependencies and turns on ccache.

# GRAFT_AS_DEPENDENCY: included by an installed graft's package file, in a
# project that uses graft; then only the dependencies are found.
find_program(GRAFT_CCACHE ccache)
if(GRAFT_CCACHE AND NOT GRAFT_AS_DEPENDENCY)
  # pch_defines/time_macros: let ccache reuse objects built with the torch PCH.
  # CCACHE_BASEDIR: paths below the checkout are hashed relative to it, so a
  # second clone (CI's clean one) reuses the objects of the first.
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env
      "CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime"
      "CCACHE_BASEDIR=${PROJECT_SOURCE_DIR}" ${GRAFT_CCACHE})
  set(CMAKE_C_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env "CCACHE_BASEDIR=${PROJECT_SOURCE_DIR}" ${GRAFT_CCACHE})
endif()

# libtorch: Debian's libtorch-dev (1.13), or the one inside PyTorch:
#   cmake -DCMAKE_PREFIX_PATH=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
find_package(Torch REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(fmt REQUIRED)
find_package(HDF5 REQUIRED COMPONENTS C)
find_package(Threads REQUIRED)
# Readers of the data sets' real formats: gzip (IDX, CSV), JPEG and PNG photos, JSON.
find_package(ZLIB REQUIRED)
find_package(JPEG REQUIRED)
find_package(PNG REQUIRED)
find_package(nlohmann_json REQUIRED)
# libzip (.npz: numpy's zip archives of .npy files) by header and library:
# Debian 12's libzip-config.cmake names /usr/bin/zipcmp, which libzip-dev does
# not install, and fails.
find_path(GRAFT_LIBZIP_INCLUDE_DIR zip.h REQUIRED)
find_library(GRAFT_LIBZIP_LIBRARY zip REQUIRED)
add_library(graft_libzip INTERFACE)
target_include_directories(graft_libzip INTERFACE ${GRAFT_LIBZIP_INCLUDE_DIR})
target_link_libraries(graft_libzip INTERFACE ${GRAFT_LIBZIP_LIBRARY})
add_library(graft_data_format_libraries INTERFACE)
add_library(graft::data_format_libraries ALIAS graft_data_format_libraries)
target_link_libraries(graft_data_format_libraries INTERFACE ZLIB::ZLIB JPEG::JPEG PNG::PNG nlohmann_json::nlohmann_json
                      graft_libzip)

if(TARGET graft_dependencies)
  return()
endif()
add_library(graft_dependencies INTERFACE)
add_library(graft::dependencies ALIAS graft_dependencies)
target_link_libraries(graft_dependencies INTERFACE
  ${TORCH_LIBRARIES} fmt::fmt ${HDF5_C_LIBRARIES} Threads::Threads)
# yaml-cpp's exported target name changed between releases.
if(TARGET yaml-cpp::yaml-cpp)
  target_link_libraries(graft_dependencies INTERFACE yaml-cpp::yaml-cpp)
else()
  target_link_libraries(graft_dependencies INTERFACE yaml-cpp)
endif()
target_include_directories(graft_dependencies SYSTEM INTERFACE ${HDF5_C_INCLUDE_DIRS} ${TORCH_INCLUDE_DIRS})
# Data-parallel training needs c10d's Gloo process group, whose header needs
# Gloo's own headers (Debian: libgloo-dev). Without them graft builds and runs
# single-process, and says so when asked for more.
if(NOT DEFINED GRAFT_HAVE_GLOO)
  include(CheckIncludeFileCXX)
  set(CMAKE_REQUIRED_INCLUDES ${TORCH_INCLUDE_DIRS})
  check_include_file_cxx("gloo/rendezvous/store.h" GRAFT_HAVE_GLOO)
  unset(CMAKE_REQUIRED_INCLUDES)
endif()
if(GRAFT_HAVE_GLOO)
  target_compile_definitions(graft_dependencies INTERFACE GRAFT_HAVE_GLOO=1)
endif()
target_compile_definitions(graft_dependencies INTERFACE ${HDF5_C_DEFINITIONS})

# Applies the shared torch precompiled header to `target`. Sources listed in
# NO_TORCH skip it: they do not include torch and compile faster without it.
function(graft_use_torch_pch target)
  cmake_parse_arguments(ARG "" "" "NO_TORCH" ${ARGN})
  if(ARG_NO_TORCH)
    # Files without torch are cheap alone; batched with torch files they would
    # pay for torch's headers again on every edit.
    set_source_files_properties(${ARG_NO_TORCH} TARGET_DIRECTORY ${target}
      PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
  endif()
  if(NOT GRAFT_USE_PCH)
    return()
  endif()
  if(TARGET graft_pch)
    target_precompile_headers(${target} REUSE_FROM graft_pch)
  else()
    target_precompile_headers(${target} PRIVATE <torch/torch.h>)
  endif()
  if(ARG_NO_TORCH)
    set_source_files_properties(${ARG_NO_TORCH} TARGET_DIRECTORY ${target}
      PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
  endif()
endfunction()
