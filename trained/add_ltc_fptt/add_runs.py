"""The runs of this folder, in the order of the README table; ``train_add.py`` reads them.

Each entry: key in curves.json, run folder, method, README label, and the arguments of
``train_add.py`` that trained it (``--iters`` = the iterations its curve holds).
"""

RUNS = (
    (
        "fptt",
        "run",
        "fptt",
        "FPTT from scratch",
        "--method fptt --iters 1601 --eval-every 100 --out trained/add_ltc_fptt/run",
    ),
    (
        "bptt",
        "run",
        "bptt",
        "BPTT from scratch",
        "--method bptt --iters 300 --eval-every 50 --out trained/add_ltc_fptt/run",
    ),
    (
        "fptt_t100",
        "run_t100",
        "fptt",
        "FPTT at T = 100 (`config_t100.toml`)",
        (
            "--config trained/add_ltc_fptt/config_t100.toml --method fptt --iters 2101 "
            "--eval-every 100 --out trained/add_ltc_fptt/run_t100"
        ),
    ),
    (
        "fptt_curriculum",
        "run_curriculum",
        "fptt",
        "FPTT from the T = 100 model (curriculum)",
        (
            "--config trained/add_ltc_fptt/config_curriculum.toml --init "
            "trained/add_ltc_fptt/run_t100/model_fptt.pt --method fptt --iters 601 "
            "--eval-every 100 --out trained/add_ltc_fptt/run_curriculum"
        ),
    ),
    (
        "fptt_curriculum_p10",
        "run_curriculum_p10",
        "fptt",
        "FPTT from the T = 100 model, 10-step parts (curriculum)",
        (
            "--config trained/add_ltc_fptt/config_curriculum_p10.toml --init "
            "trained/add_ltc_fptt/run_t100/model_fptt.pt --method fptt --iters 551 "
            "--eval-every 50 --out trained/add_ltc_fptt/run_curriculum_p10"
        ),
    ),
    (
        "fptt_published",
        "run_published",
        "fptt",
        "FPTT from scratch, published part weights (`config_published.toml`)",
        (
            "--config trained/add_ltc_fptt/config_published.toml --method fptt --iters 751 "
            "--eval-every 50 --out trained/add_ltc_fptt/run_published"
        ),
    ),
    (
        "fptt_published_p10",
        "run_published_p10",
        "fptt",
        "FPTT from scratch, published part weights, 10-step parts (`config_published_p10.toml`)",
        (
            "--config trained/add_ltc_fptt/config_published_p10.toml --method fptt --iters 451 "
            "--eval-every 50 --out trained/add_ltc_fptt/run_published_p10"
        ),
    ),
    (
        "fptt_published_p10_lr5e4",
        "run_published_p10_lr5e4",
        "fptt",
        "FPTT from that model at learning rate 5e-4 (`config_published_p10_lr5e4.toml`)",
        (
            "--config trained/add_ltc_fptt/config_published_p10_lr5e4.toml --init "
            "trained/add_ltc_fptt/run_published_p10/model_fptt.pt --method fptt --iters 5301 "
            "--eval-every 50 --out trained/add_ltc_fptt/run_published_p10_lr5e4"
        ),
    ),
    (
        "fptt_t100_published",
        "run_t100_published",
        "fptt",
        "FPTT at T = 100, published part weights (`config_t100_published.toml`)",
        (
            "--config trained/add_ltc_fptt/config_t100_published.toml --method fptt --iters 3000 "
            "--eval-every 50 --out trained/add_ltc_fptt/run_t100_published"
        ),
    ),
    (
        "fptt_curriculum_published",
        "run_curriculum_published",
        "fptt",
        "FPTT from the T = 100 published-weights model, 10-step parts (curriculum)",
        (
            "--config trained/add_ltc_fptt/config_curriculum_published.toml --init "
            "trained/add_ltc_fptt/run_t100_published/model_fptt.pt --method fptt --iters 1101 "
            "--eval-every 50 --out trained/add_ltc_fptt/run_curriculum_published"
        ),
    ),
    (
        "fptt_curriculum_published_lr1e4",
        "run_curriculum_published_lr1e4",
        "fptt",
        "FPTT from that curriculum model at learning rate 1e-4",
        (
            "--config trained/add_ltc_fptt/config_curriculum_published_lr1e4.toml --init "
            "trained/add_ltc_fptt/run_curriculum_published/model_fptt.pt --method fptt "
            "--iters 5151 --eval-every 50 --out trained/add_ltc_fptt/run_curriculum_published_lr1e4"
        ),
    ),
    (
        "fptt_curriculum_published_lr3e5",
        "run_curriculum_published_lr3e5",
        "fptt",
        "FPTT from that model at learning rate 3e-5 (`config_curriculum_published_lr3e5.toml`)",
        (
            "--config trained/add_ltc_fptt/config_curriculum_published_lr3e5.toml --init "
            "trained/add_ltc_fptt/run_curriculum_published_lr1e4/model_fptt.pt --method fptt "
            "--iters 1000 --eval-every 50 --out trained/add_ltc_fptt/run_curriculum_published_lr3e5"
        ),
    ),
    (
        "bptt_curriculum_published",
        "run_curriculum_published",
        "bptt",
        "BPTT from the T = 100 published-weights model (the curriculum's start)",
        (
            "--config trained/add_ltc_fptt/config_curriculum_published.toml --init "
            "trained/add_ltc_fptt/run_t100_published/model_fptt.pt --method bptt --iters 20000 "
            "--eval-every 25 --out trained/add_ltc_fptt/run_curriculum_published"
        ),
    ),
    (
        "fptt_t100_published_lr5e4",
        "run_t100_published_lr5e4",
        "fptt",
        (
            "FPTT at T = 100 from the T = 100 published-weights model at 5e-4 "
            "(`config_t100_published_lr5e4.toml`)"
        ),
        (
            "--config trained/add_ltc_fptt/config_t100_published_lr5e4.toml --init "
            "trained/add_ltc_fptt/run_t100_published/model_fptt.pt --method fptt --iters 3000 "
            "--eval-every 50 --out trained/add_ltc_fptt/run_t100_published_lr5e4"
        ),
    ),
    (
        "fptt_curriculum_published_from_lr5e4",
        "run_curriculum_published_from_lr5e4",
        "fptt",
        "FPTT from that model at T = 1000, 10-step parts (`config_curriculum_published.toml`)",
        (
            "--config trained/add_ltc_fptt/config_curriculum_published.toml --init "
            "trained/add_ltc_fptt/run_t100_published_lr5e4/model_fptt.pt --method fptt "
            "--iters 1401 --eval-every 50 "
            "--out trained/add_ltc_fptt/run_curriculum_published_from_lr5e4"
        ),
    ),
    (
        "fptt_t100_published_w256",
        "run_t100_published_w256",
        "fptt",
        "FPTT at T = 100, published part weights, 256 neurons (`config_t100_published_w256.toml`)",
        (
            "--config trained/add_ltc_fptt/config_t100_published_w256.toml --method fptt "
            "--iters 3000 --eval-every 50 --out trained/add_ltc_fptt/run_t100_published_w256"
        ),
    ),
    (
        "fptt_curriculum_published_w256",
        "run_curriculum_published_w256",
        "fptt",
        (
            "FPTT from that model at T = 1000, 10-step parts, 256 neurons "
            "(`config_curriculum_published_w256.toml`)"
        ),
        (
            "--config trained/add_ltc_fptt/config_curriculum_published_w256.toml --init "
            "trained/add_ltc_fptt/run_t100_published_w256/model_fptt.pt --method fptt "
            "--iters 451 --eval-every 50 "
            "--out trained/add_ltc_fptt/run_curriculum_published_w256"
        ),
    ),
    (
        "fptt_curriculum_published_w256_lr1e4",
        "run_curriculum_published_w256_lr1e4",
        "fptt",
        (
            "FPTT from that model at learning rate 1e-4, 256 neurons "
            "(`config_curriculum_published_w256_lr1e4.toml`)"
        ),
        (
            "--config trained/add_ltc_fptt/config_curriculum_published_w256_lr1e4.toml --init "
            "trained/add_ltc_fptt/run_curriculum_published_w256/model_fptt.pt --method fptt "
            "--iters 401 --eval-every 50 "
            "--out trained/add_ltc_fptt/run_curriculum_published_w256_lr1e4"
        ),
    ),
    (
        "fptt_curriculum_published_w256_lr3e5",
        "run_curriculum_published_w256_lr3e5",
        "fptt",
        (
            "FPTT from that model at learning rate 3e-5, 256 neurons "
            "(`config_curriculum_published_w256_lr3e5.toml`)"
        ),
        (
            "--config trained/add_ltc_fptt/config_curriculum_published_w256_lr3e5.toml --init "
            "trained/add_ltc_fptt/run_curriculum_published_w256_lr1e4/model_fptt.pt --method fptt "
            "--iters 1200 --eval-every 50 "
            "--out trained/add_ltc_fptt/run_curriculum_published_w256_lr3e5"
        ),
    ),
    (
        "fptt_curriculum_published_w256_lr3e5_noise",
        "run_curriculum_published_w256_lr3e5_noise",
        "fptt",
        (
            "FPTT from the 1e-4 model at learning rate 3e-5 with input noise 0.01, 256 neurons "
            "(`config_curriculum_published_w256_lr3e5.toml`, `--input-noise 0.01`)"
        ),
        (
            "--config trained/add_ltc_fptt/config_curriculum_published_w256_lr3e5.toml --init "
            "trained/add_ltc_fptt/run_curriculum_published_w256_lr1e4/model_fptt.pt --method fptt "
            "--iters 601 --eval-every 50 --input-noise 0.01 "
            "--out trained/add_ltc_fptt/run_curriculum_published_w256_lr3e5_noise"
        ),
    ),
    (
        "fptt_curriculum_published_w256_rate30",
        "run_curriculum_published_w256_rate30",
        "fptt",
        (
            "FPTT from the 1e-4 model at learning rate 1e-4 with a firing-rate penalty of 30, "
            "256 neurons (`config_curriculum_published_w256_rate30.toml`)"
        ),
        (
            "--config trained/add_ltc_fptt/config_curriculum_published_w256_rate30.toml --init "
            "trained/add_ltc_fptt/run_curriculum_published_w256_lr1e4/model_fptt.pt --method fptt "
            "--iters 751 --eval-every 50 "
            "--out trained/add_ltc_fptt/run_curriculum_published_w256_rate30"
        ),
    ),
    (
        "fptt_curriculum_published_w256_rate30_lr3e5",
        "run_curriculum_published_w256_rate30_lr3e5",
        "fptt",
        (
            "FPTT from the rate-penalty-30 model at learning rate 3e-5, same penalty, "
            "256 neurons (`config_curriculum_published_w256_rate30_lr3e5.toml`)"
        ),
        (
            "--config trained/add_ltc_fptt/config_curriculum_published_w256_rate30_lr3e5.toml "
            "--init trained/add_ltc_fptt/run_curriculum_published_w256_rate30/model_fptt.pt "
            "--method fptt --iters 701 --eval-every 50 "
            "--out trained/add_ltc_fptt/run_curriculum_published_w256_rate30_lr3e5"
        ),
    ),
    (
        "fptt_curriculum_published_w256_rate30_ema",
        "run_curriculum_published_w256_rate30_ema",
        "fptt",
        (
            "FPTT from the rate-penalty-30 model, same settings, evaluated and saved as a moving "
            "average of its parameters (`--ema 0.99`), 256 neurons "
            "(`config_curriculum_published_w256_rate30.toml`)"
        ),
        (
            "--config trained/add_ltc_fptt/config_curriculum_published_w256_rate30.toml "
            "--init trained/add_ltc_fptt/run_curriculum_published_w256_rate30/model_fptt.pt "
            "--method fptt --iters 251 --eval-every 50 --ema 0.99 "
            "--out trained/add_ltc_fptt/run_curriculum_published_w256_rate30_ema"
        ),
    ),
    (
        "fptt_curriculum_published_w256_rate30_lr3e4_ema",
        "run_curriculum_published_w256_rate30_lr3e4_ema",
        "fptt",
        (
            "FPTT from the rate-penalty-30 model at learning rate 3e-4, same penalty, moving "
            "average of the parameters (`--ema 0.995`), 256 neurons "
            "(`config_curriculum_published_w256_rate30_lr3e4.toml`)"
        ),
        (
            "--config trained/add_ltc_fptt/config_curriculum_published_w256_rate30_lr3e4.toml "
            "--init trained/add_ltc_fptt/run_curriculum_published_w256_rate30/model_fptt.pt "
            "--method fptt --iters 101 --eval-every 50 --ema 0.995 "
            "--out trained/add_ltc_fptt/run_curriculum_published_w256_rate30_lr3e4_ema"
        ),
    ),
    (
        "fptt_curriculum_published_w256_rate10",
        "run_curriculum_published_w256_rate10",
        "fptt",
        (
            "FPTT from the 1e-4 model at learning rate 1e-4 with a firing-rate penalty of 10, "
            "256 neurons (`config_curriculum_published_w256_rate10.toml`)"
        ),
        (
            "--config trained/add_ltc_fptt/config_curriculum_published_w256_rate10.toml --init "
            "trained/add_ltc_fptt/run_curriculum_published_w256_lr1e4/model_fptt.pt --method fptt "
            "--iters 551 --eval-every 50 "
            "--out trained/add_ltc_fptt/run_curriculum_published_w256_rate10"
        ),
    ),
    (
        "fptt_curriculum_published_w256_rate100",
        "run_curriculum_published_w256_rate100",
        "fptt",
        (
            "FPTT from the 1e-4 model at learning rate 1e-4 with a firing-rate penalty of 100, "
            "256 neurons (`config_curriculum_published_w256_rate100.toml`)"
        ),
        (
            "--config trained/add_ltc_fptt/config_curriculum_published_w256_rate100.toml --init "
            "trained/add_ltc_fptt/run_curriculum_published_w256_lr1e4/model_fptt.pt --method fptt "
            "--iters 501 --eval-every 50 "
            "--out trained/add_ltc_fptt/run_curriculum_published_w256_rate100"
        ),
    ),
    (
        "fptt_curriculum_published_rate30",
        "run_curriculum_published_rate30",
        "fptt",
        (
            "FPTT from the best 128-neuron model at learning rate 1e-4 with a firing-rate "
            "penalty of 30 (`config_curriculum_published_rate30.toml`)"
        ),
        (
            "--config trained/add_ltc_fptt/config_curriculum_published_rate30.toml --init "
            "trained/add_ltc_fptt/run_curriculum_published_lr1e4/model_fptt.pt --method fptt "
            "--iters 1051 --eval-every 50 "
            "--out trained/add_ltc_fptt/run_curriculum_published_rate30"
        ),
    ),
    (
        "fptt_t100_published_rate30",
        "run_t100_published_rate30",
        "fptt",
        (
            "FPTT at T = 100, published part weights, firing-rate penalty of 30 from the start "
            "(`config_t100_published_rate30.toml`)"
        ),
        (
            "--config trained/add_ltc_fptt/config_t100_published_rate30.toml --method fptt "
            "--iters 3000 --eval-every 50 --out trained/add_ltc_fptt/run_t100_published_rate30"
        ),
    ),
    (
        "fptt_curriculum_published_t100rate30",
        "run_curriculum_published_t100rate30",
        "fptt",
        (
            "FPTT from the T = 100 rate-penalty model at T = 1000, 10-step parts, learning rate "
            "5e-4, same penalty (`config_curriculum_published_t100rate30.toml`)"
        ),
        (
            "--config trained/add_ltc_fptt/config_curriculum_published_t100rate30.toml --init "
            "trained/add_ltc_fptt/run_t100_published_rate30/model_fptt.pt --method fptt "
            "--iters 1451 --eval-every 50 "
            "--out trained/add_ltc_fptt/run_curriculum_published_t100rate30"
        ),
    ),
    (
        "fptt_curriculum_published_wnoise",
        "run_curriculum_published_wnoise",
        "fptt",
        (
            "FPTT from the best 128-neuron model at learning rate 1e-4 with weight noise 0.01 "
            "(`config_curriculum_published_wnoise.toml`)"
        ),
        (
            "--config trained/add_ltc_fptt/config_curriculum_published_wnoise.toml --init "
            "trained/add_ltc_fptt/run_curriculum_published_lr1e4/model_fptt.pt --method fptt "
            "--iters 751 --eval-every 50 "
            "--out trained/add_ltc_fptt/run_curriculum_published_wnoise"
        ),
    ),
    (
        "fptt_published_p10_chrono",
        "run_published_p10_chrono",
        "fptt",
        (
            "FPTT from scratch, 10-step parts, chrono initialisation of the tau_m gates "
            "(`tau_m_init = 1000`), learning rate 1e-3 (`config_published_p10_chrono.toml`)"
        ),
        (
            "--config trained/add_ltc_fptt/config_published_p10_chrono.toml --method fptt "
            "--iters 751 --eval-every 50 --out trained/add_ltc_fptt/run_published_p10_chrono"
        ),
    ),
    (
        "fptt_published_p10_chrono_lr1e4",
        "run_published_p10_chrono_lr1e4",
        "fptt",
        (
            "FPTT from the chrono-initialised model at learning rate 1e-4 "
            "(`config_published_p10_chrono_lr1e4.toml`)"
        ),
        (
            "--config trained/add_ltc_fptt/config_published_p10_chrono_lr1e4.toml --init "
            "trained/add_ltc_fptt/run_published_p10_chrono/model_fptt.pt --method fptt "
            "--iters 1401 --eval-every 50 "
            "--out trained/add_ltc_fptt/run_published_p10_chrono_lr1e4"
        ),
    ),
    (
        "fptt_published_p10_chrono_rate30",
        "run_published_p10_chrono_rate30",
        "fptt",
        (
            "FPTT from scratch, 10-step parts, chrono initialisation, learning rate 1e-3, "
            "firing-rate penalty of 30 from the start (`config_published_p10_chrono_rate30.toml`)"
        ),
        (
            "--config trained/add_ltc_fptt/config_published_p10_chrono_rate30.toml --method fptt "
            "--iters 1401 --eval-every 50 "
            "--out trained/add_ltc_fptt/run_published_p10_chrono_rate30"
        ),
    ),
    (
        "fptt_curriculum_published_rate100",
        "run_curriculum_published_rate100",
        "fptt",
        (
            "FPTT from the best 128-neuron model at learning rate 1e-4 with a firing-rate "
            "penalty of 100 (`config_curriculum_published_rate100.toml`)"
        ),
        (
            "--config trained/add_ltc_fptt/config_curriculum_published_rate100.toml --init "
            "trained/add_ltc_fptt/run_curriculum_published_lr1e4/model_fptt.pt --method fptt "
            "--iters 701 --eval-every 50 "
            "--out trained/add_ltc_fptt/run_curriculum_published_rate100"
        ),
    ),
    (
        "fptt_curriculum_published_steptargets",
        "run_curriculum_published_steptargets",
        "fptt",
        (
            "FPTT from the best 128-neuron model at learning rate 1e-4, each part scored "
            "against E[y | inputs seen] (`step_targets`, "
            "`config_curriculum_published_steptargets.toml`)"
        ),
        (
            "--config trained/add_ltc_fptt/config_curriculum_published_steptargets.toml --init "
            "trained/add_ltc_fptt/run_curriculum_published_lr1e4/model_fptt.pt --method fptt "
            "--iters 601 --eval-every 50 "
            "--out trained/add_ltc_fptt/run_curriculum_published_steptargets"
        ),
    ),
    (
        "fptt_published_p10_chrono_steptargets",
        "run_published_p10_chrono_steptargets",
        "fptt",
        (
            "FPTT from scratch, 10-step parts, chrono initialisation, learning rate 1e-3, each "
            "part scored against E[y | inputs seen] (`config_published_p10_chrono_steptargets.toml`)"
        ),
        (
            "--config trained/add_ltc_fptt/config_published_p10_chrono_steptargets.toml "
            "--method fptt --iters 551 --eval-every 50 "
            "--out trained/add_ltc_fptt/run_published_p10_chrono_steptargets"
        ),
    ),
    (
        "fptt_t100_published_voltage",
        "run_t100_published_voltage",
        "fptt",
        (
            "FPTT at T = 100, published part weights, readout of the hidden voltages "
            "(`--readout-voltage`, a diagnostic, not deployable)"
        ),
        (
            "--config trained/add_ltc_fptt/config_t100_published.toml --readout-voltage "
            "--method fptt --iters 3000 --eval-every 50 "
            "--out trained/add_ltc_fptt/run_t100_published_voltage"
        ),
    ),
)
