# llava_ros: `make demo` runs the main job, `make test` the test suite; both set up .venv first.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export MUJOCO_GL ?= egl
export ROS_AUTOMATIC_DISCOVERY_RANGE := LOCALHOST
export ROS_LOCALHOST_ONLY := 1

.PHONY: venv demo test bench clean

$(STAMP): requirements.txt requirements-ros.txt setup.py scripts/setup_env.sh scripts/build_interfaces.sh $(wildcard msg/msg/*.msg msg/srv/*.srv)
	bash scripts/setup_env.sh

venv: $(STAMP)

demo: $(STAMP)
	$(PY) -m llava_ros.cli demo

test: $(STAMP)
	$(PY) -m pytest tests

bench: $(STAMP)
	$(PY) -m bench.sim

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
