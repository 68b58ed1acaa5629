"""Build hook: ship the repository's ``model_zoo/`` cards inside the package as ``cxralign/model_zoo``.

The cards live at the top of the repository (where contributors add them); an installed wheel has
no repository, so ``build_py`` copies them next to the code. Everything else is in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ZOO = Path(__file__).parent / "model_zoo"


class BuildWithZoo(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "cxralign" / "model_zoo"
        target.mkdir(parents=True, exist_ok=True)
        for card in sorted(ZOO.glob("*.y*ml")):
            self.copy_file(str(card), str(target / card.name))


setup(cmdclass={"build_py": BuildWithZoo})
