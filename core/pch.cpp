// Compiles the shared torch precompiled header (see core/CMakeLists.txt).
