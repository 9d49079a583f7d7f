#!/usr/bin/env bash
# Build the llava_ros_interfaces package (msg/) against the ROS 2 PyPI wheels and install it into the venv.
#   bash scripts/build_interfaces.sh [VENV]      (run by scripts/setup_env.sh)
# On a full ROS 2 install use `colcon build` instead; this is the pip-only path (see shared/NOTES.md).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=$(cd "${1:-${VENV:-.venv}}" && pwd)
PY="$VENV/bin/python"
BUILD=build/interfaces
mkdir -p build

# The wheels' exported CMake files hard-code the wheel builder's Python and numpy include dirs.
py_include=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
np_include=$("$PY" -c 'import numpy; print(numpy.get_include())')
for f in "$VENV"/share/*/cmake/*rosidl_generator_pyExport.cmake; do
  sed -i -e "s#/opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include#$np_include#g" \
         -e "s#/opt/python/cp311-cp311/include/python3.11#$py_include#g" "$f"
done

export CMAKE_PREFIX_PATH="$VENV" AMENT_PREFIX_PATH="$VENV" PATH="$VENV/bin:$PATH"
cmake -S msg -B "$BUILD" -DCMAKE_INSTALL_PREFIX="$VENV" -DPython3_EXECUTABLE="$PY" \
  -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=Release > "$BUILD.log" 2>&1 || { cat "$BUILD.log"; exit 1; }
make -C "$BUILD" -j2 >> "$BUILD.log" 2>&1 || { tail -50 "$BUILD.log"; exit 1; }
make -C "$BUILD" install >> "$BUILD.log" 2>&1 || { tail -50 "$BUILD.log"; exit 1; }
"$PY" -c "from llava_ros_interfaces.msg import GroundedObject, SceneAnswer; from llava_ros_interfaces.srv import AskScene, PickObject"
echo "[interfaces] llava_ros_interfaces installed into $VENV"
