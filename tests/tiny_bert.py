"""A tiny random BERT and a word-level tokenizer, built locally (no downloads)."""

from __future__ import annotations

from pathlib import Path

WORDS = ("the a an of to and in is are was were be this that these those it they we you he she "
         "corrupt traitors evil elite liars media lied again destroying everything love stopped late "
         "committee met tuesday discuss budget rainfall region average year company reported revenue "
         "million dollars really independent investigation why should anyone believe experts now "
         "minister travel paris next week officials said bridge would reopen march russia china "
         "partnership strategic hegemony west nato sentence here one another normal perfectly").split()


def build_tiny_bert(path: Path) -> Path:
    from transformers import BertConfig, BertModel, BertTokenizerFast

    path.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ",", "!", "?", *WORDS]
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(path / "vocab.txt"), do_lower_case=True)
    tokenizer.save_pretrained(str(path))
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    import torch

    torch.manual_seed(0)
    BertModel(config).save_pretrained(str(path))
    return path
