import time
from parcours.profiling import dataset
from parcours.profiling.actions import train_platform_model
from tests.profiling.factories import closed_history

def test_t(organisation, counselor):
    t=time.time(); closed_history(300, organisation=organisation, referent=counselor); print("factories", time.time()-t)
    t=time.time(); f=dataset.training_frame(); print("frame", time.time()-t, f.adverse.mean())
    t=time.time(); train_platform_model(by=counselor, n_boot=100, n_boot_audit=50); print("fit", time.time()-t)
