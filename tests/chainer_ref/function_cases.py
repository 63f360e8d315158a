"""The cases of ``chainer.functions`` compared with real Chainer 7.8.1.

Shared by ``make_functions.py`` (run once under real Chainer to write ``functions.npz``) and
``tests/test_chainer_functions.py`` (run in CI against the file). Each case calls
``F.<fn>(*inputs, **kwargs)``; an input is described by (shape, kind):

* ``f``: standard normal floats; ``pos``: uniform in [0.5, 2]; ``unit``: uniform in
  [-0.9, 0.9]; ``sep``: normal, spread so that no two entries tie (max, pooling);
* ``label:C``: int32 labels in [0, C); ``ign:C``: the same with some −1 (ignored);
* ``bin``: int32 in {0, 1}; ``bin-ign``: {−1, 0, 1}; ``idx:N``: int32 ids in [0, N);
* ``mask``: a boolean array.

``kw_inputs`` names the last inputs, passed as keyword arguments; ``more_inputs`` come after
``args``. ``pack`` groups inputs into a list argument (``concat``, ``stack``...): ("list", k)
passes the first k inputs as one list. ``dtype`` is float32 unless a case says float64.
"""

CASES = [
    # activation
    dict(name="relu", fn="relu", inputs=[((3, 4), "sep")]),
    dict(name="leaky_relu", fn="leaky_relu", inputs=[((3, 4), "sep")]),
    dict(
        name="leaky_relu_slope", fn="leaky_relu", inputs=[((3, 4), "sep")], kwargs=dict(slope=0.1)
    ),
    dict(name="elu", fn="elu", inputs=[((3, 4), "f")], kwargs=dict(alpha=0.7)),
    dict(name="selu", fn="selu", inputs=[((3, 4), "f")]),
    dict(name="sigmoid", fn="sigmoid", inputs=[((3, 4), "f")]),
    dict(name="tanh", fn="tanh", inputs=[((3, 4), "f")]),
    dict(name="softmax", fn="softmax", inputs=[((3, 5), "f")]),
    dict(name="softmax_axis2", fn="softmax", inputs=[((2, 3, 4), "f")], kwargs=dict(axis=2)),
    dict(name="log_softmax", fn="log_softmax", inputs=[((3, 5), "f")]),
    dict(name="softplus", fn="softplus", inputs=[((3, 4), "f")], kwargs=dict(beta=2.0)),
    dict(name="maxout", fn="maxout", inputs=[((3, 6), "sep")], args=[3]),
    dict(name="maxout_conv", fn="maxout", inputs=[((2, 4, 2, 2), "sep")], args=[2]),
    dict(name="clipped_relu", fn="clipped_relu", inputs=[((3, 4), "sep")], kwargs=dict(z=0.5)),
    dict(name="crelu", fn="crelu", inputs=[((3, 4), "sep")]),
    dict(name="swish", fn="swish", inputs=[((3, 4), "f"), ((4,), "f")]),
    dict(name="hard_sigmoid", fn="hard_sigmoid", inputs=[((3, 4), "f")]),
    dict(name="prelu", fn="prelu", inputs=[((3, 4, 2), "sep"), ((4,), "f")]),
    dict(name="lstm", fn="lstm", inputs=[((3, 2), "f"), ((3, 8), "f")]),
    dict(name="lstm_shrink", fn="lstm", inputs=[((3, 2), "f"), ((2, 8), "f")]),
    # math
    dict(name="sum", fn="sum", inputs=[((3, 4), "f")]),
    dict(
        name="sum_axis",
        fn="sum",
        inputs=[((3, 4, 2), "f")],
        kwargs=dict(axis=(0, 2), keepdims=True),
    ),
    dict(name="mean", fn="mean", inputs=[((3, 4), "f")], kwargs=dict(axis=1)),
    dict(
        name="average_w",
        fn="average",
        inputs=[((3, 4), "f"), ((4,), "pos")],
        kw_inputs=["weights"],
        kwargs=dict(axis=1),
    ),
    dict(name="max", fn="max", inputs=[((3, 4), "sep")], kwargs=dict(axis=1)),
    dict(name="min", fn="min", inputs=[((3, 4), "sep")], kwargs=dict(axis=0, keepdims=True)),
    dict(name="argmax", fn="argmax", inputs=[((3, 4), "sep")], kwargs=dict(axis=1)),
    dict(name="argmin", fn="argmin", inputs=[((3, 4), "sep")], kwargs=dict(axis=0)),
    dict(name="exp", fn="exp", inputs=[((3, 4), "f")]),
    dict(name="log", fn="log", inputs=[((3, 4), "pos")]),
    dict(name="log1p", fn="log1p", inputs=[((3, 4), "pos")]),
    dict(name="sqrt", fn="sqrt", inputs=[((3, 4), "pos")]),
    dict(name="rsqrt", fn="rsqrt", inputs=[((3, 4), "pos")]),
    dict(name="square", fn="square", inputs=[((3, 4), "f")]),
    dict(name="absolute", fn="absolute", inputs=[((3, 4), "sep")]),
    dict(name="sin", fn="sin", inputs=[((3, 4), "f")]),
    dict(name="cos", fn="cos", inputs=[((3, 4), "f")]),
    dict(name="tan", fn="tan", inputs=[((3, 4), "unit")]),
    dict(name="arcsin", fn="arcsin", inputs=[((3, 4), "unit")]),
    dict(name="arctan", fn="arctan", inputs=[((3, 4), "f")]),
    dict(name="matmul", fn="matmul", inputs=[((3, 4), "f"), ((4, 2), "f")]),
    dict(
        name="matmul_trans",
        fn="matmul",
        inputs=[((4, 3), "f"), ((2, 4), "f")],
        kwargs=dict(transa=True, transb=True),
    ),
    dict(name="matmul_batch", fn="matmul", inputs=[((2, 3, 4), "f"), ((2, 4, 5), "f")]),
    dict(name="batch_matmul", fn="batch_matmul", inputs=[((2, 3, 4), "f"), ((2, 4, 5), "f")]),
    dict(name="clip", fn="clip", inputs=[((3, 4), "sep")], args=[-0.5, 0.5]),
    dict(name="minimum", fn="minimum", inputs=[((3, 4), "sep"), ((3, 4), "sep")]),
    dict(name="maximum", fn="maximum", inputs=[((3, 4), "sep"), ((3, 4), "sep")]),
    dict(name="logsumexp", fn="logsumexp", inputs=[((3, 4), "f")], kwargs=dict(axis=1)),
    dict(name="cumsum", fn="cumsum", inputs=[((3, 4), "f")], kwargs=dict(axis=1)),
    dict(name="prod", fn="prod", inputs=[((3, 4), "pos")], kwargs=dict(axis=1)),
    dict(name="squared_difference", fn="squared_difference", inputs=[((3, 4), "f"), ((3, 4), "f")]),
    dict(name="bias", fn="bias", inputs=[((2, 3, 4), "f"), ((3,), "f")]),
    dict(name="scale", fn="scale", inputs=[((2, 3, 4), "f"), ((3, 4), "f")]),
    dict(
        name="linear_interpolate",
        fn="linear_interpolate",
        inputs=[((3, 4), "unit"), ((3, 4), "f"), ((3, 4), "f")],
    ),
    dict(name="batch_l2_norm_squared", fn="batch_l2_norm_squared", inputs=[((3, 2, 2), "f")]),
    dict(name="fmod", fn="fmod", inputs=[((3, 4), "f"), ((3, 4), "pos")]),
    # array
    dict(name="reshape", fn="reshape", inputs=[((3, 4), "f")], args=[(2, 6)]),
    dict(name="transpose", fn="transpose", inputs=[((2, 3, 4), "f")], kwargs=dict(axes=(1, 2, 0))),
    dict(name="transpose_default", fn="transpose", inputs=[((2, 3, 4), "f")]),
    dict(name="concat", fn="concat", inputs=[((2, 3), "f"), ((2, 4), "f")], pack=("list", 2)),
    dict(
        name="concat_axis0",
        fn="concat",
        inputs=[((2, 3), "f"), ((1, 3), "f")],
        pack=("list", 2),
        kwargs=dict(axis=0),
    ),
    dict(
        name="stack",
        fn="stack",
        inputs=[((2, 3), "f"), ((2, 3), "f")],
        pack=("list", 2),
        kwargs=dict(axis=1),
    ),
    dict(name="hstack", fn="hstack", inputs=[((2, 3), "f"), ((2, 1), "f")], pack=("list", 2)),
    dict(name="vstack", fn="vstack", inputs=[((3,), "f"), ((3,), "f")], pack=("list", 2)),
    dict(name="dstack", fn="dstack", inputs=[((2, 3), "f"), ((2, 3), "f")], pack=("list", 2)),
    dict(name="split_axis", fn="split_axis", inputs=[((6, 2), "f")], args=[3, 0]),
    dict(name="split_axis_idx", fn="split_axis", inputs=[((2, 7), "f")], args=[[2, 5], 1]),
    dict(name="separate", fn="separate", inputs=[((3, 2), "f")], kwargs=dict(axis=1)),
    dict(name="broadcast_to", fn="broadcast_to", inputs=[((3, 1), "f")], args=[(2, 3, 4)]),
    dict(name="broadcast", fn="broadcast", inputs=[((3, 1), "f"), ((1, 4), "f")]),
    dict(name="expand_dims", fn="expand_dims", inputs=[((3, 4), "f")], args=[1]),
    dict(name="squeeze", fn="squeeze", inputs=[((3, 1, 4, 1), "f")]),
    dict(name="squeeze_axis", fn="squeeze", inputs=[((3, 1, 4, 1), "f")], kwargs=dict(axis=3)),
    dict(name="swapaxes", fn="swapaxes", inputs=[((2, 3, 4), "f")], args=[0, 2]),
    dict(name="rollaxis", fn="rollaxis", inputs=[((2, 3, 4), "f")], args=[2, 0]),
    dict(name="moveaxis", fn="moveaxis", inputs=[((2, 3, 4), "f")], args=[0, -1]),
    dict(name="flatten", fn="flatten", inputs=[((2, 3, 4), "f")]),
    dict(name="where", fn="where", inputs=[((3, 4), "mask"), ((3, 4), "f"), ((3, 4), "f")]),
    dict(
        name="pad",
        fn="pad",
        inputs=[((2, 3), "f")],
        args=[((1, 0), (2, 1))],
        kwargs=dict(mode="constant", constant_values=0.5),
    ),
    dict(name="tile", fn="tile", inputs=[((2, 3), "f")], args=[(2, 1, 2)]),
    dict(name="repeat", fn="repeat", inputs=[((2, 3), "f")], args=[2], kwargs=dict(axis=1)),
    dict(
        name="repeat_list",
        fn="repeat",
        inputs=[((3, 2), "f")],
        args=[(1, 0, 2)],
        kwargs=dict(axis=0),
    ),
    dict(name="repeat_flat", fn="repeat", inputs=[((2, 2), "f")], args=[2]),
    dict(
        name="get_item", fn="get_item", inputs=[((3, 4, 2), "f")], args=[(slice(1, None), None, 0)]
    ),
    dict(name="get_item_adv", fn="get_item", inputs=[((4, 3), "f")], args=[([0, 2, 2],)]),
    dict(name="cast", fn="cast", inputs=[((3, 4), "f")], args=["float64"]),
    dict(name="select_item", fn="select_item", inputs=[((3, 4), "f"), ((3,), "label:4")]),
    dict(
        name="pad_sequence",
        fn="pad_sequence",
        inputs=[((3, 2), "f"), ((1, 2), "f")],
        pack=("list", 2),
        kwargs=dict(padding=-1.0),
    ),
    dict(
        name="transpose_sequence",
        fn="transpose_sequence",
        inputs=[((3, 2), "f"), ((2, 2), "f"), ((1, 2), "f")],
        pack=("list", 3),
    ),
    dict(name="flip", fn="flip", inputs=[((2, 3), "f")], args=[1]),
    dict(name="fliplr", fn="fliplr", inputs=[((2, 3), "f")]),
    dict(name="flipud", fn="flipud", inputs=[((2, 3), "f")]),
    dict(name="resize_images", fn="resize_images", inputs=[((1, 2, 3, 4), "f")], args=[(5, 7)]),
    dict(name="space2depth", fn="space2depth", inputs=[((1, 2, 4, 4), "f")], args=[2]),
    dict(name="depth2space", fn="depth2space", inputs=[((1, 8, 2, 2), "f")], args=[2]),
    dict(
        name="permutate",
        fn="permutate",
        inputs=[((3, 2), "f"), ((3,), "perm")],
        kwargs=dict(axis=0),
    ),
    # connection
    dict(name="linear", fn="linear", inputs=[((3, 4), "f"), ((5, 4), "f"), ((5,), "f")]),
    dict(name="linear_nobias_flat", fn="linear", inputs=[((3, 2, 2), "f"), ((5, 4), "f")]),
    dict(
        name="linear_batch_axes",
        fn="linear",
        inputs=[((2, 3, 4), "f"), ((5, 4), "f")],
        kwargs=dict(n_batch_axes=2),
    ),
    dict(
        name="convolution_2d",
        fn="convolution_2d",
        inputs=[((2, 3, 5, 5), "f"), ((4, 3, 3, 3), "f"), ((4,), "f")],
        kwargs=dict(stride=2, pad=1),
    ),
    dict(
        name="convolution_2d_dilate_groups",
        fn="convolution_2d",
        inputs=[((1, 4, 6, 6), "f"), ((2, 2, 2, 2), "f")],
        kwargs=dict(dilate=2, groups=2),
    ),
    dict(
        name="deconvolution_2d",
        fn="deconvolution_2d",
        inputs=[((2, 3, 3, 3), "f"), ((3, 2, 4, 4), "f"), ((2,), "f")],
        kwargs=dict(stride=2, pad=1),
    ),
    dict(
        name="deconvolution_2d_outsize",
        fn="deconvolution_2d",
        inputs=[((1, 2, 3, 3), "f"), ((2, 2, 3, 3), "f")],
        kwargs=dict(stride=2, pad=1, outsize=(6, 6)),
    ),
    dict(name="embed_id", fn="embed_id", inputs=[((2, 3), "idx:5"), ((5, 4), "f")]),
    dict(
        name="embed_id_ignore",
        fn="embed_id",
        inputs=[((2, 3), "idx-ign:5"), ((5, 4), "f")],
        kwargs=dict(ignore_label=-1),
    ),
    # pooling
    dict(name="max_pooling_2d", fn="max_pooling_2d", inputs=[((2, 2, 5, 5), "sep")], args=[2]),
    dict(
        name="max_pooling_2d_s1p1",
        fn="max_pooling_2d",
        inputs=[((1, 2, 4, 4), "sep")],
        args=[3, 2, 1],
    ),
    dict(
        name="max_pooling_2d_nocover",
        fn="max_pooling_2d",
        inputs=[((1, 2, 5, 5), "sep")],
        args=[2],
        kwargs=dict(cover_all=False),
    ),
    dict(
        name="average_pooling_2d",
        fn="average_pooling_2d",
        inputs=[((2, 2, 5, 5), "f")],
        args=[3, 2, 1],
    ),
    dict(
        name="unpooling_2d",
        fn="unpooling_2d",
        inputs=[((1, 2, 3, 3), "f")],
        args=[2],
        kwargs=dict(cover_all=False),
    ),
    dict(
        name="unpooling_2d_cover", fn="unpooling_2d", inputs=[((1, 2, 3, 3), "f")], args=[3, 2, 1]
    ),
    dict(
        name="unpooling_2d_outsize",
        fn="unpooling_2d",
        inputs=[((1, 1, 2, 3), "f")],
        args=[2],
        kwargs=dict(outsize=(4, 5)),
    ),
    # normalization
    dict(
        name="batch_normalization",
        fn="batch_normalization",
        inputs=[((4, 3), "f"), ((3,), "f"), ((3,), "f")],
    ),
    dict(
        name="batch_normalization_4d",
        fn="batch_normalization",
        inputs=[((2, 3, 2, 2), "f"), ((3,), "f"), ((3,), "f")],
        kwargs=dict(eps=1e-3),
    ),
    dict(
        name="fixed_batch_normalization",
        fn="fixed_batch_normalization",
        inputs=[((4, 3), "f"), ((3,), "f"), ((3,), "f"), ((3,), "f"), ((3,), "pos")],
    ),
    dict(
        name="layer_normalization",
        fn="layer_normalization",
        inputs=[((3, 5), "f"), ((5,), "f"), ((5,), "f")],
    ),
    dict(
        name="local_response_normalization",
        fn="local_response_normalization",
        inputs=[((2, 7, 2, 2), "f")],
    ),
    dict(
        name="local_response_normalization_args",
        fn="local_response_normalization",
        inputs=[((1, 6, 2, 2), "f")],
        kwargs=dict(n=3, k=1, alpha=0.1, beta=0.5),
    ),
    dict(name="normalize", fn="normalize", inputs=[((3, 4), "f")]),
    dict(
        name="group_normalization",
        fn="group_normalization",
        inputs=[((2, 4, 3), "f")],
        args=[2],
        more_inputs=[((4,), "f"), ((4,), "f")],
    ),
    # noise (deterministic with the mask / eps given)
    dict(
        name="dropout_mask",
        fn="dropout",
        inputs=[((3, 4), "f")],
        kwargs=dict(ratio=0.5),
        mask_kw="mask",
    ),
    dict(name="gaussian_eps", fn="gaussian", inputs=[((3, 4), "f"), ((3, 4), "f")], eps_kw="eps"),
    # loss
    dict(
        name="softmax_cross_entropy",
        fn="softmax_cross_entropy",
        inputs=[((5, 4), "f"), ((5,), "label:4")],
    ),
    dict(
        name="softmax_cross_entropy_ignore",
        fn="softmax_cross_entropy",
        inputs=[((5, 4), "f"), ((5,), "ign:4")],
    ),
    dict(
        name="softmax_cross_entropy_nonorm",
        fn="softmax_cross_entropy",
        inputs=[((5, 4), "f"), ((5,), "ign:4")],
        kwargs=dict(normalize=False),
    ),
    dict(
        name="softmax_cross_entropy_no",
        fn="softmax_cross_entropy",
        inputs=[((5, 4), "f"), ((5,), "ign:4")],
        kwargs=dict(reduce="no"),
    ),
    dict(
        name="softmax_cross_entropy_cw",
        fn="softmax_cross_entropy",
        inputs=[((5, 4), "f"), ((5,), "ign:4")],
        kwargs=dict(class_weight=[0.5, 1.0, 2.0, 3.0]),
    ),
    dict(
        name="softmax_cross_entropy_nd",
        fn="softmax_cross_entropy",
        inputs=[((2, 3, 2, 2), "f"), ((2, 2, 2), "ign:3")],
    ),
    dict(
        name="sigmoid_cross_entropy",
        fn="sigmoid_cross_entropy",
        inputs=[((4, 3), "f"), ((4, 3), "bin-ign")],
    ),
    dict(
        name="sigmoid_cross_entropy_no",
        fn="sigmoid_cross_entropy",
        inputs=[((4, 3), "f"), ((4, 3), "bin-ign")],
        kwargs=dict(reduce="no"),
    ),
    dict(
        name="sigmoid_cross_entropy_nonorm",
        fn="sigmoid_cross_entropy",
        inputs=[((4, 3), "f"), ((4, 3), "bin-ign")],
        kwargs=dict(normalize=False),
    ),
    dict(name="mean_squared_error", fn="mean_squared_error", inputs=[((3, 4), "f"), ((3, 4), "f")]),
    dict(
        name="mean_absolute_error", fn="mean_absolute_error", inputs=[((3, 4), "f"), ((3, 4), "f")]
    ),
    dict(name="squared_error", fn="squared_error", inputs=[((3, 4), "f"), ((3, 4), "f")]),
    dict(name="absolute_error", fn="absolute_error", inputs=[((3, 4), "f"), ((3, 4), "f")]),
    dict(name="hinge", fn="hinge", inputs=[((4, 3), "f"), ((4,), "label:3")]),
    dict(
        name="hinge_l2",
        fn="hinge",
        inputs=[((4, 3), "f"), ((4,), "label:3")],
        kwargs=dict(norm="L2"),
    ),
    dict(
        name="hinge_no",
        fn="hinge",
        inputs=[((4, 3), "f"), ((4,), "label:3")],
        kwargs=dict(reduce="no"),
    ),
    dict(name="bernoulli_nll", fn="bernoulli_nll", inputs=[((3, 4), "prob"), ((3, 4), "f")]),
    dict(
        name="gaussian_kl_divergence",
        fn="gaussian_kl_divergence",
        inputs=[((3, 4), "f"), ((3, 4), "f")],
    ),
    dict(
        name="gaussian_kl_divergence_mean",
        fn="gaussian_kl_divergence",
        inputs=[((3, 4), "f"), ((3, 4), "f")],
        kwargs=dict(reduce="mean"),
    ),
    dict(
        name="gaussian_nll", fn="gaussian_nll", inputs=[((3, 4), "f"), ((3, 4), "f"), ((3, 4), "f")]
    ),
    dict(
        name="contrastive",
        fn="contrastive",
        inputs=[((4, 3), "f"), ((4, 3), "f"), ((4,), "bin")],
        kwargs=dict(margin=2.0),
    ),
    dict(
        name="contrastive_no",
        fn="contrastive",
        inputs=[((4, 3), "f"), ((4, 3), "f"), ((4,), "bin")],
        kwargs=dict(margin=2.0, reduce="no"),
    ),
    dict(
        name="triplet",
        fn="triplet",
        inputs=[((4, 3), "f"), ((4, 3), "f"), ((4, 3), "f")],
        kwargs=dict(margin=1.0),
    ),
    dict(name="huber_loss", fn="huber_loss", inputs=[((4, 3), "f"), ((4, 3), "f")], args=[0.5]),
    dict(
        name="huber_loss_no",
        fn="huber_loss",
        inputs=[((4, 3), "f"), ((4, 3), "f")],
        args=[0.5],
        kwargs=dict(reduce="no"),
    ),
    # evaluation
    dict(name="accuracy", fn="accuracy", inputs=[((6, 3), "sep"), ((6,), "label:3")]),
    dict(
        name="accuracy_ignore",
        fn="accuracy",
        inputs=[((6, 3), "sep"), ((6,), "ign:3")],
        kwargs=dict(ignore_label=-1),
    ),
    dict(
        name="binary_accuracy", fn="binary_accuracy", inputs=[((4, 3), "sep"), ((4, 3), "bin-ign")]
    ),
    # float64: the gradients to 1e-10
    dict(
        name="f64_softmax_cross_entropy",
        fn="softmax_cross_entropy",
        inputs=[((5, 4), "f"), ((5,), "ign:4")],
        dtype="float64",
    ),
    dict(
        name="f64_convolution_2d",
        fn="convolution_2d",
        inputs=[((1, 2, 4, 4), "f"), ((3, 2, 3, 3), "f"), ((3,), "f")],
        kwargs=dict(pad=1),
        dtype="float64",
    ),
    dict(
        name="f64_batch_normalization",
        fn="batch_normalization",
        inputs=[((4, 3, 2), "f"), ((3,), "f"), ((3,), "f")],
        dtype="float64",
    ),
    dict(name="f64_lstm", fn="lstm", inputs=[((2, 3), "f"), ((2, 12), "f")], dtype="float64"),
    dict(
        name="f64_max_pooling_2d",
        fn="max_pooling_2d",
        inputs=[((1, 1, 5, 5), "sep")],
        args=[2],
        dtype="float64",
    ),
    dict(
        name="f64_local_response_normalization",
        fn="local_response_normalization",
        inputs=[((1, 6, 2, 2), "f")],
        dtype="float64",
    ),
]
