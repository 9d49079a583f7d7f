#!/usr/bin/env bash
# The whole recipe that produces the shipped model, from sim seeds to an evaluated checkpoint:
# data → tokenizer → CLIP-style vision pretraining → LLM pretraining → stage 1 → stage 2 → eval.
#
#   bash training/recipe.sh                    # defaults below
#   SEEDS=0:6000 EPOCHS_STAGE2=3 RUNS=runs/v1 bash training/recipe.sh
#
# Steps whose final output exists are skipped, and a stopped training step resumes from its last
# checkpoint, so running the script again continues where it stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
SEEDS=${SEEDS:-0:2000}            # training seeds (< 1,000,000)
VARIANTS=${VARIANTS:-1}           # records per kind and scene
DATA=${DATA:-data/sim_v1}         # rendered scenes + LLaVA-format JSON
RUNS=${RUNS:-runs/v0}
EVAL_SEEDS=${EVAL_SEEDS:-1000000000:1000000040}   # held-out seeds, never trained on
CLIP_CONFIG=${CLIP_CONFIG:-training/configs/clip.yaml}   # or clip_dense.yaml (patch–phrase loss)
VISION_PATCH=${VISION_PATCH:-}   # ViT patch in px (empty: the CLIP config's); clip_dense at 224 px: 28 = 8x8 tokens, 14 = 16x16
NUMBERS=${NUMBERS:-digits}        # tokenizer: digits (one token per decimal digit) or whole (v1)
PROJECTOR=${PROJECTOR:-linear}    # linear (the paper), mlp2x_gelu (LLaVA-1.5), or either +pos2d
# Grounding after stage 2 (not in the paper; LLaVA-1.5 mixes region data into stage 2). Stage 2 alone
# never taught the LLM to read positions from the image (docs/grounding.md); a curriculum does:
GROUNDING_1OBJ_STEPS=${GROUNDING_1OBJ_STEPS:-0}  # >0: region records on one-object scenes first
GROUNDING_STEPS=${GROUNDING_STEPS:-0}            # >0: then stage-2 data + all region records
GROUNDING_MORE_STEPS=${GROUNDING_MORE_STEPS:-0}  # >0: then the same again, a fresh cosine schedule
GROUNDING_AGAIN_STEPS=${GROUNDING_AGAIN_STEPS:-0}  # >0: and once more, in another shuffled order
REGION_VARIANTS=${REGION_VARIANTS:-3}            # region records per scene
# Last, a pass that trains the vision tower too (stage2_vision, not in the paper): the answers' loss
# teaches the tower what its caption pretraining left weak (shape; see docs/grounding.md, v11).
TOWER_TUNE_STEPS=${TOWER_TUNE_STEPS:-0}          # >0: that pass, on the grounding mix
TOWER_TUNE_LR=${TOWER_TUNE_LR:-1e-4}             # peak lr of the projector and LLM in it
TOWER_LR=${TOWER_LR:-5e-5}                       # peak lr of the vision tower in it
EPOCHS_CLIP=${EPOCHS_CLIP:-8}
EPOCHS_LLM=${EPOCHS_LLM:-1}
EPOCHS_STAGE1=${EPOCHS_STAGE1:-1}
EPOCHS_STAGE2=${EPOCHS_STAGE2:-1}
# Optimizer-step budgets (0 = the epochs above); the cosine schedule spans the budget.
STEPS_LLM=${STEPS_LLM:-0}
STEPS_STAGE1=${STEPS_STAGE1:-0}
STEPS_STAGE2=${STEPS_STAGE2:-0}
SAVE_EVERY=${SAVE_EVERY:-50}
# Extra overrides for every training step, e.g. on a GPU machine: TRAIN_SET="run.device=cuda data.num_workers=8"
TRAIN_SET=${TRAIN_SET:-}
export MUJOCO_GL=${MUJOCO_GL:-egl}

step() { echo "[recipe $(date +%H:%M:%S)] $*"; }
mkdir -p "$RUNS"
# What this run was asked to do, for the model card (python -m training.ship).
cat > "$RUNS/recipe.env" <<ENV
SEEDS=$SEEDS VARIANTS=$VARIANTS DATA=$DATA RUNS=$RUNS EVAL_SEEDS=$EVAL_SEEDS CLIP_CONFIG=$CLIP_CONFIG VISION_PATCH=$VISION_PATCH NUMBERS=$NUMBERS PROJECTOR=$PROJECTOR GROUNDING_1OBJ_STEPS=$GROUNDING_1OBJ_STEPS GROUNDING_STEPS=$GROUNDING_STEPS GROUNDING_MORE_STEPS=$GROUNDING_MORE_STEPS GROUNDING_AGAIN_STEPS=$GROUNDING_AGAIN_STEPS TOWER_TUNE_STEPS=$TOWER_TUNE_STEPS TOWER_TUNE_LR=$TOWER_TUNE_LR TOWER_LR=$TOWER_LR REGION_VARIANTS=$REGION_VARIANTS EPOCHS_CLIP=$EPOCHS_CLIP EPOCHS_LLM=$EPOCHS_LLM EPOCHS_STAGE1=$EPOCHS_STAGE1 EPOCHS_STAGE2=$EPOCHS_STAGE2 STEPS_LLM=$STEPS_LLM STEPS_STAGE1=$STEPS_STAGE1 STEPS_STAGE2=$STEPS_STAGE2 TRAIN_SET="$TRAIN_SET"
ENV
train() {  # train NAME CONFIG OVERRIDES...
  local name=$1 config=$2; shift 2
  if [ -f "$RUNS/$name/final/config.json" ]; then step "$name: done, skipping"; return; fi
  local resume=()
  ls -d "$RUNS/$name"/checkpoints/step_* >/dev/null 2>&1 && resume=(--resume)
  step "$name: training ($config)"
  "$PY" -m training.train --config "$config" "${resume[@]}" --set run.output_dir="$RUNS/$name" \
    run.save_every="$SAVE_EVERY" "$@" $TRAIN_SET
}

S1="$DATA/stage1_captions.json"; S2="$DATA/stage2_instruct.json"
if [ ! -f "$S2" ]; then
  step "data: seeds $SEEDS → $DATA"
  "$PY" -m training.data.generate --seeds "$SEEDS" --out "$DATA" --variants "$VARIANTS" --reuse-renders --quiet
fi
R="$DATA/stage2_regions.json"; R1="$DATA/stage2_regions_1obj.json"
if [ $((GROUNDING_1OBJ_STEPS + GROUNDING_STEPS + GROUNDING_MORE_STEPS + GROUNDING_AGAIN_STEPS)) -gt 0 ]; then
  if [ ! -f "$R" ]; then
    step "data: region records, $REGION_VARIANTS per scene → $R"
    "$PY" -m training.data.generate --seeds "$SEEDS" --out "$DATA" --kinds region --variants "$REGION_VARIANTS" --reuse-renders --quiet
  fi
  if [ ! -f "$R1" ]; then
    step "data: one-object scenes, region records → $R1"
    "$PY" -m training.data.generate --seeds "$SEEDS" --out "$DATA" --kinds region --objects 1 --reuse-renders --quiet
  fi
fi
if [ ! -f "$RUNS/tokenizer/tokenizer.json" ]; then
  step "tokenizer"
  "$PY" -m training.tokenizer --data "$S1" "$S2" --out "$RUNS/tokenizer" --numbers "$NUMBERS"
fi
train clip "$CLIP_CONFIG" model.tokenizer="$RUNS/tokenizer" "data.train_json=[$S1]" run.epochs="$EPOCHS_CLIP" \
  ${VISION_PATCH:+model.vision.patch_size="$VISION_PATCH"}
train llm training/configs/llm.yaml model.tokenizer="$RUNS/tokenizer" "data.train_json=[$S1,$S2]" run.epochs="$EPOCHS_LLM" run.max_steps="$STEPS_LLM"
train stage1 training/configs/stage1_pretrain.yaml model.vision.pretrained_path="$RUNS/clip/final" \
  model.text.pretrained_path="$RUNS/llm/final" model.projector="$PROJECTOR" "data.train_json=[$S1]" run.epochs="$EPOCHS_STAGE1" run.max_steps="$STEPS_STAGE1"
train stage2 training/configs/stage2_finetune.yaml model.init_from="$RUNS/stage1/final" \
  "data.train_json=[$S2]" run.epochs="$EPOCHS_STAGE2" run.max_steps="$STEPS_STAGE2"
LAST=stage2
grounding() {  # grounding NAME STEPS DATA OVERRIDES...: a pass on LAST's model when STEPS > 0; it becomes LAST
  local name=$1 steps=$2 data=$3; shift 3
  [ "$steps" -gt 0 ] || return 0
  train "$name" training/configs/stage2_finetune.yaml model.init_from="$RUNS/$LAST/final" \
    "data.train_json=[$data]" run.max_steps="$steps" "$@"
  LAST=$name
}
grounding grounding_1obj "$GROUNDING_1OBJ_STEPS" "$R1"
grounding grounding "$GROUNDING_STEPS" "$S2,$R,$R1"
grounding grounding_more "$GROUNDING_MORE_STEPS" "$S2,$R,$R1"
grounding grounding_again "$GROUNDING_AGAIN_STEPS" "$S2,$R,$R1" run.seed=1
grounding tower_tune "$TOWER_TUNE_STEPS" "$S2,$R,$R1" run.stage=stage2_vision optim.lr="$TOWER_TUNE_LR" \
  optim.vision_lr="$TOWER_LR" run.seed=3
step "eval: held-out seeds $EVAL_SEEDS"
"$PY" -m llava_ros.cli eval sim --seeds "$EVAL_SEEDS" --model "$RUNS/$LAST/final" --out "$RUNS/eval_sim" --quiet
step "done: $RUNS/$LAST/final"
