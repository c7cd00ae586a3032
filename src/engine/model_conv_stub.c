/* model_conv_stub.c — placeholder until the convolutional models land (issue 3); deleted then. */
#include "layer.h"

int iw_model_build_cnn(iw_net *net, const iw_net_config *cfg, iw_error *err)
{
    (void)net; (void)cfg;
    return iw_error_set(err, "model.kind cnn is not built into this engine yet");
}

int iw_model_build_resnet(iw_net *net, const iw_net_config *cfg, iw_error *err)
{
    (void)net; (void)cfg;
    return iw_error_set(err, "model.kind resnet is not built into this engine yet");
}
