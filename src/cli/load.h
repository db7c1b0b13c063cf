/* load.h — loading the model with flags (the commands that change drivers skip pci.ids names). */
#pragma once

#include "cli.h"

int vk_cli_load_flags(vk_cli *cli, unsigned flags, vk_model **ret);
